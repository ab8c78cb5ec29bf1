"""PDF and DOCX ingestion, content/extension checks and byte uploads.

The PDFs are written by hand (no PDF library can typeset Chinese offline here and
no CJK font is installed): text uses the standard, non-embedded Adobe CJK font
``STSong-Light`` with the predefined ``UniGB-UTF16-H`` CMap, so the content
stream holds UTF-16BE codes -- the same construction reportlab's UnicodeCIDFont
uses, giving a real Chinese text layer that pypdf extracts.
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from pypdf import PdfReader, PdfWriter

import qa.ingest.decode as ingest
from qa.ingest.decode import SCANNED_PDF, IngestError, load_document, load_document_bytes, reflow_pdf_page

FONT = b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H /DescendantFonts [4 0 R] >>"
CID_FONT = (
    b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
    b"/FontDescriptor 5 0 R /DW 1000 >>"
)
DESCRIPTOR = (
    b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
    b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
)


def make_pdf(pages: list[bytes]) -> bytes:
    """A minimal, valid PDF: one content stream per page, font F1 = STSong-Light."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", FONT, CID_FONT, DESCRIPTOR]
    kids = []
    for stream in pages:
        page_no = len(objects) + 1
        kids.append(f"{page_no} 0 R".encode())
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_no + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_page(lines: list[str]) -> bytes:
    """Lines of text, top to bottom, 20 points apart."""
    shown = b" T*\n".join(b"<%s> Tj" % line.encode("utf-16-be").hex().encode() for line in lines)
    return b"BT\n/F1 12 Tf 20 TL 56 780 Td\n" + shown + b"\nET"


PAGE_1 = [
    "某市2023年政府工作报告",
    "一、过去一年工作回顾",
    "全市地区生产总值完成1234亿元，同比增长6.5%，",  # hard-wrapped mid-sentence
    "规模以上工业增加值增长8.2%，固定资产投资增长",
    "10%。",
    "二、2024年主要目标",
    "地区生产总值增长6%左右。",
    "- 1 -",
]
PAGE_2 = [
    "三、保障措施",
    "（一）优化营商环境。深化“放管服”改革，全面推行",
    "“一网通办”，企业开办时间压缩至1个工作日以内。",
    "（二）兜牢民生底线。新增城镇就业5万人。",
    "- 2 -",
]


def assert_offsets_exact(doc):
    assert doc.paragraphs
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text


@pytest.fixture
def report_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf([text_page(PAGE_1), text_page(PAGE_2)]))
    return path


def test_pdf_chinese_text_layer_reflowed(report_pdf):
    doc = load_document(report_pdf)
    assert_offsets_exact(doc)
    texts = [p.text for p in doc.paragraphs]
    assert doc.title == "某市2023年政府工作报告"
    assert texts[1:] == [
        "一、过去一年工作回顾",
        "全市地区生产总值完成1234亿元，同比增长6.5%，规模以上工业增加值增长8.2%，固定资产投资增长10%。",
        "二、2024年主要目标",
        "地区生产总值增长6%左右。",
        "三、保障措施",
        "（一）优化营商环境。深化“放管服”改革，全面推行“一网通办”，企业开办时间压缩至1个工作日以内。",
        "（二）兜牢民生底线。新增城镇就业5万人。",
    ]
    assert "\n\n三、保障措施" in doc.text  # pages separated by a blank line
    assert doc.path == str(report_pdf) and doc.doc_id == "report"
    farming = next(p for p in doc.paragraphs if p.text.startswith("全市地区"))
    assert farming.section == ("一、过去一年工作回顾",) and farming.kind == "body"


def test_reflow_rules():
    # Latin words joined with a space, numbers split across lines without one
    text = (
        "The city grew its output by six percent and added fifty\n"
        "thousand jobs in 2023, of which a total of 12\n000 were new.\nShort line"
    )
    assert reflow_pdf_page(text).splitlines() == [
        "The city grew its output by six percent and added fifty thousand jobs in 2023, "
        "of which a total of 12000 were new.",
        "Short line",
    ]
    # a wide line ending a sentence, or a next line starting a list item, is not joined
    wide = "为加快推进全市经济社会高质量发展，特制定本实施方案。"
    assert reflow_pdf_page(f"{wide}\n第二条 适用范围").splitlines() == [wide, "第二条 适用范围"]
    open_line = "为加快推进全市经济社会高质量发展，结合本市实际情况"
    assert reflow_pdf_page(f"{open_line}\n1. 总体目标").splitlines() == [open_line, "1. 总体目标"]
    # short lines (a list of headings) are never reflowed; page numbers dropped
    assert reflow_pdf_page("3\n一、总则\n总体要求\n第 3 页 共 9 页") == "一、总则\n总体要求"


def test_pdf_without_text_layer_is_a_scan(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([b"0.5 g 56 100 480 640 re f"]))
    with pytest.raises(IngestError) as info:
        load_document(path)
    assert str(info.value) == SCANNED_PDF


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n" + bytes(range(256)) * 8,  # header, then garbage
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",  # truncated
    ],
)
def test_corrupt_pdf_gives_clear_error(tmp_path, data):
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(IngestError, match="PDF"):
        load_document(path)


def test_encrypted_pdf(tmp_path, report_pdf):
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(report_pdf))
        writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    with pytest.raises(IngestError, match="加密"):
        load_document_bytes(encrypted("secret"), "locked.pdf")
    # only an owner password (opens without asking): readable
    doc = load_document_bytes(encrypted(""), "restricted.pdf")
    assert any(p.text == "（二）兜牢民生底线。新增城镇就业5万人。" for p in doc.paragraphs)


def make_docx(path):
    document = docx.Document()
    document.add_heading("某市2023年政府工作报告", level=0)
    document.add_heading("一、过去一年工作回顾", level=1)
    document.add_paragraph("全市地区生产总值完成1234亿元，同比增长6.5%。")
    document.add_paragraph("")  # blank paragraphs are not paragraphs
    document.add_heading("主要指标", level=2)
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows, [("指标", "2023年", "增长"), ("地区生产总值", "1234亿元", "6.5%"), ("城镇新增就业", "5万人", "")]
    ):
        for cell, value in zip(row.cells, values):
            cell.text = value
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "5万人"
    document.add_paragraph("二、2024年主要目标")
    document.add_paragraph("地区生产总值增长6%左右。")
    document.save(path)


def test_docx_paragraphs_headings_and_tables(tmp_path):
    path = tmp_path / "report.docx"
    make_docx(path)
    doc = load_document(path)
    assert_offsets_exact(doc)
    assert doc.title == "某市2023年政府工作报告"
    assert [p.text for p in doc.paragraphs][1:] == [
        "一、过去一年工作回顾",
        "全市地区生产总值完成1234亿元，同比增长6.5%。",
        "主要指标",
        "指标 | 2023年 | 增长",
        "地区生产总值 | 1234亿元 | 6.5%",
        "城镇新增就业 | 5万人",  # merged cell once
        "二、2024年主要目标",
        "地区生产总值增长6%左右。",
    ]
    kinds = {p.text: p.kind for p in doc.paragraphs}
    assert kinds["一、过去一年工作回顾"] == kinds["二、2024年主要目标"] == "heading"
    row = next(p for p in doc.paragraphs if p.text.startswith("地区生产总值 |"))
    assert row.section[0] == "一、过去一年工作回顾"


def test_empty_and_corrupt_docx(tmp_path):
    empty = tmp_path / "empty.docx"
    docx.Document().save(empty)
    with pytest.raises(IngestError, match="没有文字"):
        load_document(empty)
    with pytest.raises(IngestError, match="DOCX"):
        load_document_bytes(b"PK\x03\x04" + bytes(range(256)) * 4, "broken.docx")
    buffer = io.BytesIO()  # a real zip, but no Word document inside
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    with pytest.raises(IngestError, match="DOCX"):
        load_document_bytes(buffer.getvalue(), "notword.docx")
    with pytest.raises(IngestError, match=r"\.doc"):
        load_document_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.docx")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 64


@pytest.mark.parametrize(
    "name, data, shown",
    [
        ("photo.txt", PNG, "PNG 图片"),
        ("photo.pdf", PNG, "PNG 图片"),
        ("notes.pdf", "某市政府工作报告\n全年增长6%。\n".encode(), "文本"),
        ("notes.docx", "某市政府工作报告\n全年增长6%。\n".encode(), "文本"),
        ("report.md", b"%PDF-1.4\n...", "PDF 文档"),
        ("page.html", b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
    ],
)
def test_content_must_match_extension(tmp_path, name, data, shown):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError, match="与扩展名不符") as info:
        load_document(path)
    assert shown in str(info.value) and name in str(info.value)


def test_load_document_bytes_shares_checks(tmp_path, report_pdf, monkeypatch):
    from_path = load_document(report_pdf)
    uploaded = load_document_bytes(report_pdf.read_bytes(), "C:\\Users\\me\\report.pdf")
    assert uploaded.doc_id == "report" and uploaded.path == "report.pdf"
    assert (uploaded.text, uploaded.paragraphs, uploaded.sha256) == (
        from_path.text,
        from_path.paragraphs,
        from_path.sha256,
    )
    assert load_document_bytes(report_pdf.read_bytes(), "x.pdf", doc_id="custom").doc_id == "custom"
    text = "标题\n\n正文第一段。\n".encode("gbk")
    assert [p.text for p in load_document_bytes(text, "a.txt").paragraphs] == ["标题", "正文第一段。"]
    with pytest.raises(IngestError, match="不支持"):
        load_document_bytes(b"MZ\x90\x00", "setup.exe")
    with pytest.raises(IngestError, match="空"):
        load_document_bytes(b" \n", "empty.pdf")
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 100)
    with pytest.raises(IngestError, match="上限"):
        load_document_bytes(report_pdf.read_bytes(), "big.pdf")
    with pytest.raises(IngestError, match="上限"):
        load_document(report_pdf)
