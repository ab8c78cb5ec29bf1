import re

import pytest

from qa.ingest.chunking import chunk_document
from qa.ingest.decode import IngestError, decode_text, load_document, parse_document
from qa.settings import ChunkingSettings
from qa.text import split_sentences, squeeze_spaces
from tests.conftest import REPORT

BOILERPLATE = ["查看余下全文", "责任编辑", "精彩图片"]


@pytest.fixture(scope="module")
def report():
    return load_document(REPORT)


def test_metadata_read_from_text(report):
    assert report.metadata.title.startswith("齐齐哈尔市政府工作报告")
    assert report.metadata.date == "2022-01-13"
    assert report.metadata.source == "齐齐哈尔日报"
    assert report.metadata.published == "2022-03-15"


def test_boilerplate_removed_and_title_kept_once(report):
    texts = [p.text for p in report.paragraphs]
    for phrase in BOILERPLATE:
        assert not any(phrase in t for t in texts), phrase
    assert sum(t.startswith("齐齐哈尔市政府工作报告") for t in texts) == 1
    assert sum("来源" in t for t in texts) == 1
    # real content right around the boilerplate survives
    assert any(t.startswith("代市长") for t in texts)
    assert texts[-1].startswith("各位代表,新征程已经起航")


def test_section_paths(report):
    farming = next(p for p in report.paragraphs if p.text.startswith("加快发展标准化集约化现代化大规模种植业"))
    assert farming.section == (
        "二、今后五年奋斗目标和2022年重点工作",
        "(一)突出发展嫩江流域高效生态农业,勇当全省农业现代化建设排头兵",
        "加快发展标准化集约化现代化大规模种植业",
    )
    assert farming.period == "2022年"
    review = next(p for p in report.paragraphs if p.text.startswith("这五年,我们加快构建现代产业体系"))
    assert review.section[0] == "一、过去五年工作回顾"
    assert review.period == "2017—2021年"
    last_year = next(p for p in report.paragraphs if p.text.startswith("刚刚过去的一年"))
    assert last_year.period == "2021年"
    goals = next(p for p in report.paragraphs if p.text.startswith("今后五年的奋斗目标"))
    assert goals.period == "2022—2026年"


def test_chunk_offsets_exact_and_nothing_lost(report):
    chunks = chunk_document(report, ChunkingSettings())
    covered = [False] * len(report.text)
    for chunk in chunks:
        assert report.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    for paragraph in report.paragraphs:
        missing = [i for i in range(paragraph.start, paragraph.end) if not covered[i] and not report.text[i].isspace()]
        assert not missing, paragraph.text[:30]
    # every non-boilerplate, non-blank line of the file is some paragraph
    body_lines = [line.strip() for line in report.text.splitlines() if line.strip()]
    kept = {p.text for p in report.paragraphs}
    dropped = [line for line in body_lines if line not in kept]
    assert all(
        any(b in line for b in BOILERPLATE) or line.startswith("齐齐哈尔市政府工作报告") or "来源" in line
        for line in dropped
    ), dropped


def test_chunks_never_cross_paragraphs_and_overlap_one_sentence(report):
    settings = ChunkingSettings(target_chars=80, max_chars=200)
    chunks = chunk_document(report, settings)
    paragraphs = {p.number: p for p in report.paragraphs}
    for chunk in chunks:
        p = paragraphs[chunk.paragraph]
        assert p.start <= chunk.start < chunk.end <= p.end
        assert len(chunk.text) <= settings.max_chars
    same_paragraph = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.paragraph == b.paragraph]
    assert same_paragraph
    overlapping = 0
    for a, b in same_paragraph:
        if len(split_sentences(a.text)) > 1:  # a window of one long sentence is not repeated
            overlap = report.text[b.start : a.end]
            assert b.start < a.end and len(split_sentences(overlap)) == 1
            overlapping += 1
        else:
            assert b.start >= a.end
    assert overlapping


def test_embed_text_has_context_and_squeezed_spaces(report):
    chunk = next(c for c in chunk_document(report, ChunkingSettings()) if "400 万亩" in c.text)
    assert "400万亩" in chunk.embed_text and "400 万亩" in chunk.text
    assert chunk.embed_text.startswith(
        "齐齐哈尔市政府工作报告(2022年1月13日 沈宏宇) [2017—2021年] 一、过去五年工作回顾"
    )


def test_squeeze_spaces_keeps_latin_word_spacing():
    assert squeeze_spaces("增长 6%以 上, GDP 县 ") == "增长6%以上,GDP县"
    assert squeeze_spaces("open data portal") == "open data portal"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-16"])
def test_chinese_encodings_detected(encoding):
    text = "齐齐哈尔市政府工作报告\n\n全市地区生产总值增长6%以上。“十四五”开局。"
    data = text.encode(encoding)
    assert decode_text(data) == text


def test_binary_and_empty_files_rejected(tmp_path):
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(IngestError, match="二进制"):
        load_document(binary)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    with pytest.raises(IngestError, match="空"):
        load_document(empty)
    with pytest.raises(IngestError, match="不支持"):
        load_document(tmp_path / "a.exe")


def test_html_and_markdown(tmp_path):
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>t</title><script>alert(1)</script></head><body>"
        "<h1>某市政府工作报告</h1><p>一、工作回顾</p><p>全年新增就业5万人。</p>"
        "<p>责任编辑:张三</p></body></html>",
        encoding="gbk",
    )
    doc = load_document(html)
    texts = [p.text for p in doc.paragraphs]
    assert doc.title == "某市政府工作报告"
    assert "全年新增就业5万人。" in texts and not any("alert" in t or "责任编辑" in t for t in texts)
    table = tmp_path / "fees.html"
    table.write_text(
        "<html><body><h1>某县医保待遇</h1><table><tr><th>医院级别</th><th>起付标准</th></tr>"
        "<tr><td>一级医院</td><td> 200元 </td></tr><tr><td>三级<br>医院</td><td>800元</td></tr></table>"
        "<p>以上标准自2024年起执行。</p></body></html>",
        encoding="utf-8",
    )
    rows = [p.text for p in load_document(table).paragraphs]
    assert rows[1:] == ["医院级别 | 起付标准", "一级医院 | 200元", "三级 医院 | 800元", "以上标准自2024年起执行。"]
    # a row is read under the table's first row, which names the columns
    header, first, last, after = load_document(table).paragraphs[1:]
    assert header.kind == "heading" and first.kind == last.kind == "body"
    assert first.section == last.section == ("医院级别 | 起付标准",)
    assert after.section == ()
    # a Markdown table: the same, its alignment row left out
    table_md = parse_document("# 某县医保待遇\n\n| 医院级别 | 起付标准 |\n|:---|---:|\n| 一级医院 | 200元 |\n", "md")
    header, row = [p for p in table_md.paragraphs if "|" in p.text]
    assert header.kind == "heading" and row.text == "| 一级医院 | 200元 |"
    assert row.section[-1] == "| 医院级别 | 起付标准 |"
    md = parse_document("# 报告\n\n## 一、回顾\n\n去年增长5%。\n", "md")
    assert md.title == "报告"
    body = [p for p in md.paragraphs if p.kind == "body"]
    assert body[0].section == ("报告", "一、回顾") or body[0].section[-1] == "一、回顾"


def test_offsets_survive_crlf_and_odd_spaces():
    doc = parse_document("标题\r\n\r\n  第一段 有 空格。第二句。\r\n", "x")
    (title, body) = doc.paragraphs
    assert doc.text[body.start : body.end] == "第一段 有 空格。第二句。"
    assert not re.search("\r", doc.text)


def test_a_question_and_answer_page_heads_each_answer_with_its_question():
    text = (
        "某县居民用水办理问答\n\n一、开户\n1.新房怎么开通自来水？\n答：携带房产证到营业厅办理，当天通水。\n"
        "问：水费多少钱一吨？\n答：居民用水每吨3.2元。\n二、报修\n家里停水了找谁？\n拨打96000报修。\n"
    )
    doc = parse_document(text, "x")
    by_text = {p.text: p for p in doc.paragraphs}
    assert by_text["1.新房怎么开通自来水？"].kind == "heading"
    # the 答：/问： labels are not part of what they label, and offsets stay exact
    opening = by_text["携带房产证到营业厅办理，当天通水。"]
    assert opening.section == ("一、开户", "1.新房怎么开通自来水？")
    assert doc.text[opening.start : opening.end] == opening.text
    assert by_text["居民用水每吨3.2元。"].section == ("一、开户", "水费多少钱一吨？")
    assert by_text["拨打96000报修。"].section == ("二、报修", "家里停水了找谁？")
    # a sentence that only asks, inside a paragraph, heads nothing
    assert parse_document("标题\n\n为什么要节水？因为水少。\n", "y").paragraphs[1].kind == "body"


def test_the_items_a_line_introduces_keep_its_section_and_its_chunk():
    text = (
        "某县图书馆借阅须知\n\n一、办证\n办理借书证需提交以下材料：\n（一）本人身份证；\n（二）近期照片一张。\n"
        "二、借阅\n每证限借5册。\n（一）少儿借阅\n少儿读者由家长陪同。\n"
    )
    doc = parse_document(text, "x")
    by_text = {p.text: p for p in doc.paragraphs}
    assert by_text["（一）本人身份证；"].section == ("一、办证",) == by_text["（二）近期照片一张。"].section
    assert by_text["二、借阅"].kind == "heading"  # another mark style: the list has ended
    # an item heading with no closing mark, after a line that introduces nothing, heads its text
    assert by_text["少儿读者由家长陪同。"].section == ("二、借阅", "（一）少儿借阅")
    chunks = chunk_document(doc, ChunkingSettings())
    listed = next(c for c in chunks if "以下材料" in c.text)
    assert listed.text == "办理借书证需提交以下材料：\n（一）本人身份证；\n（二）近期照片一张。"


def test_list_items_leave_no_heading_or_period_behind_them():
    text = (
        "某县通知\n\n一、办证\n需提交以下材料：\n（一）2040年以来的纳税证明；\n（二）照片一张。\n材料齐全的当场办结。\n"
    )
    after = parse_document(text, "x").paragraphs[-1]
    assert after.text == "材料齐全的当场办结。" and after.section == ("一、办证",) and after.period is None
    # a notice with no headings keeps its items with the line that introduces them too
    plain = parse_document("某县通知\n\n需提交以下材料：\n（一）身份证；\n（二）照片。\n", "y")
    assert [c.text for c in chunk_document(plain, ChunkingSettings())][1:] == [
        "需提交以下材料：\n（一）身份证；\n（二）照片。"
    ]


def test_a_list_ends_where_its_mark_style_changes():
    for first, second in (
        ("1. 申请表；", "2. 身份证。"),
        ("1、申请表；", "2、身份证。"),
        ("1.“一卡通”；", "2.(原件)身份证。"),
    ):
        text = f"某县通知\n\n一、要求\n请准备：\n{first}\n{second}\n二、地点：县政务中心。\n周一至周五办理。\n"
        by_text = {p.text: p for p in parse_document(text, "x").paragraphs}
        assert by_text[second].section == ("一、要求",) and by_text[second].kind == "body"
        # a part heading counts in Chinese numerals: it is no item of a list counted in digits
        assert by_text["二、地点：县政务中心。"].kind == "heading"
        assert by_text["周一至周五办理。"].section == ("二、地点：县政务中心",)


def test_a_closing_sign_off_is_document_information_not_the_last_section():
    text = "某县停水通知\n\n一、停水时间\n3月2日8时至18时停水。\n二、咨询\n请拨打96000。\n"
    text += "青禾县自来水公司\n2041年3月1日\n"
    paragraphs = parse_document(text, "x").paragraphs
    assert [(p.text, p.kind, p.section) for p in paragraphs[-2:]] == [
        ("青禾县自来水公司", "meta", ("文档信息",)),
        ("2041年3月1日", "meta", ("文档信息",)),
    ]
    assert paragraphs[-3].text == "请拨打96000。" and paragraphs[-3].section == ("二、咨询",)
    # no date at the end: no sign-off; a sentence before the date is no office's name
    unsigned = parse_document("某县通知\n\n一、说明\n请拨打96000。\n青禾县自来水公司\n", "y").paragraphs
    assert unsigned[-1].kind == "body"
    # a date with no office before it, or after a heading or a question, is the text's own
    for body in (
        "一、说明\n请于月底前办理。\n",
        "二、报名截止时间\n",
        "1.什么时候开始报名？\n",
        "一、说明\n联系电话 96000\n",
    ):
        dated = parse_document(f"某县通知\n\n{body}2041年3月1日\n", "z").paragraphs
        assert dated[-1].kind != "meta" and dated[-1].section != ("文档信息",), body


def test_a_sites_page_furniture_is_neither_title_nor_text():
    text = (
        "首页 > 信息公开 > 通知公告\n某县图书馆开放通知\n发布日期：2041-03-01　来源：县文旅局\n【字号 大 中 小】\n"
        "一、开放时间\n每周二至周日开放。\n二、活动\n主办：县文旅局\n【打印本页】【关闭窗口】\n"
        "主办：某县人民政府办公室　地址：人民路1号\n版权所有：某县人民政府　京ICP备00000000号\n"
    )
    doc = parse_document(text, "x")
    assert doc.title == "某县图书馆开放通知"  # the breadcrumb is no title
    kept = [p.text for p in doc.paragraphs]
    assert "主办：县文旅局" in kept  # an event's own organizer is text
    assert not any(word in line for line in kept for word in ("首页", "打印本页", "地址", "ICP", "字号"))
    # a line that merely holds ">" is text
    assert parse_document("某县统计\n\n增速>5%的乡镇有3个。\n", "y").paragraphs[-1].kind == "body"
    for crumb in ("您所在的位置：首页 > 通知", "首页 >> 通知公告", "首页/政务公开/通知"):
        assert parse_document(f"{crumb}\n某县通知\n\n正文。\n", "z").title == "某县通知", crumb
    # a notice's own labelled lines stay, though they hold a phone number, an address or 【】
    kept = ["主办单位：县文旅局　联系电话：0000-1234567", "承办单位：县文化馆，地址：人民路1号", "【小微企业】"]
    doc = parse_document("某县通知\n\n" + "\n".join(kept) + "\n", "w")
    assert [p.text for p in doc.paragraphs[1:]] == kept
