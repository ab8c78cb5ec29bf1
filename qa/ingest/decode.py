"""Read documents from disk into :class:`Document` objects.

A document's ``text`` is the text a citation points into: the decoded file for
plain text and Markdown, the visible text for HTML, the text layer for PDF and the
paragraphs and table rows for DOCX (readers are registered in :data:`EXTRACTORS`).
Everything else (paragraphs, chunks, offsets) refers to ``text`` by ``[start, end)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.ingest.structure import Metadata, Paragraph, analyze
from qa.text import LIST_ITEM_MARK

MAX_FILE_BYTES = 20 * 1024 * 1024

# Leading bytes of binary formats people upload under the wrong extension.
SIGNATURES = {
    b"%PDF-": "PDF 文档",
    b"PK\x03\x04": "ZIP 压缩包（如 DOCX/XLSX）",
    b"\xd0\xcf\x11\xe0": "旧版 Office 文件（.doc/.xls）",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"\x1f\x8b": "GZIP 压缩包",
}


class IngestError(ValueError):
    """A file that cannot be read as a document; the message says why and what to do."""


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    sha256: str  # of the source file's bytes
    text: str
    metadata: Metadata
    paragraphs: tuple[Paragraph, ...]

    @property
    def title(self) -> str:
        return self.metadata.title


def safe_name(text: str) -> str:
    """``text`` as a file-system-safe name: word characters, dots and dashes ("" → "document")."""
    safe = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFKC", text), flags=re.UNICODE).strip("-.")
    return safe or "document"


def doc_id_for(path: Path) -> str:
    """A stable, file-system-safe id from the file name."""
    return safe_name(path.stem)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > len(sample) * 0.05


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOMs first, then UTF-8, then GB18030 (covers GBK/GB2312).

    Raises IngestError for binary data or bytes no Chinese encoding explains.
    """
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise IngestError(f"文件声明为 {encoding} 编码，但内容无法按此解码：{exc}") from exc
    if _looks_binary(data):
        raise IngestError("文件看起来是二进制数据，不是文本；请上传 .txt/.md/.html 文本或 PDF/DOCX 文件。")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError("无法识别文件编码（支持 UTF-8、GBK/GB18030、带 BOM 的 UTF-16）；请另存为 UTF-8 后重试。")


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block element per line, and a table one row per line
    with its cells joined by " | " (as a DOCX table): a cell alone ("800元") says nothing of
    the row it belongs to ("三级医院")."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for row in reversed(soup.find_all("tr")):  # inner tables first: an outer cell reads them flat
        cells = (" ".join(cell.get_text(" ").split()) for cell in row.find_all(["td", "th"], recursive=False))
        row.replace_with(soup.new_string("\n" + " | ".join(c for c in cells if c) + "\n"))
    return soup.get_text("\n")


def sniff_format(data: bytes) -> str | None:
    """Name of the binary format ``data`` starts with (see :data:`SIGNATURES`), or None."""
    return next((name for magic, name in SIGNATURES.items() if data.startswith(magic)), None)


def _read_plain(data: bytes) -> str:
    return decode_text(data)


def _read_html(data: bytes) -> str:
    return html_to_text(decode_text(data))


# A PDF line ending in one of these closes a sentence, a heading or a list item.
LINE_END = "。！？；：!?;:…”’」』）)】》"
# A line starting like this begins a new heading or list item, never a continuation.
ITEM_START = re.compile(rf"^\s*(?:第[一二三四五六七八九十百零\d]+[章节条款部分]|{LIST_ITEM_MARK})")
PAGE_NUMBER = re.compile(r"^[-—–－\s]*\d{1,4}[-—–－\s]*$|^第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?$")
WRAP_RATIO = 0.8  # a line this close to the page's widest line ran into the margin
WRAP_MIN_WIDTH = 30  # ... and pages whose widest line is narrower than this are not reflowed


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def reflow_pdf_page(text: str) -> str:
    """Join the visual lines of one PDF page back into paragraphs.

    The text layer keeps the page's hard line wraps. Line ``a`` is joined with the
    next line ``b`` when ``a`` ran into the right margin -- it is at least
    ``WRAP_RATIO`` of the widest line on the page -- and does not end with sentence
    or heading punctuation (:data:`LINE_END`), and ``b`` does not start a new
    heading or list item (:data:`ITEM_START`). Latin words are joined with a space,
    Chinese (and a number split across lines) with nothing. A page number alone on the first or last line is dropped.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for end in (-1, 0):
        if lines and PAGE_NUMBER.match(lines[end]):
            lines.pop(end)
    widest = max((_width(line) for line in lines), default=0)
    out: list[str] = []
    wrapped = False
    for line in lines:
        if out and wrapped and not ITEM_START.match(line):
            a, b = out[-1][-1], line[0]
            latin = a.isascii() and b.isascii() and a != "-" and not (a.isdigit() and b.isdigit())
            out[-1] += (" " if latin else "") + line
        else:
            out.append(line)
        wrapped = widest >= WRAP_MIN_WIDTH and _width(line) >= WRAP_RATIO * widest and line[-1] not in LINE_END
    return "\n".join(out)


SCANNED_PDF = "这个 PDF 没有文字层（可能是扫描件），无法检索；请上传带文字的 PDF 或先做 OCR。"


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-file chatter
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        pages = [reflow_pdf_page(page.extract_text() or "") for page in reader.pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise IngestError("这个 PDF 已加密，无法读取文字；请先去掉密码保护后再上传。") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise IngestError(
            f"无法解析这个 PDF（文件可能已损坏或不完整）：{type(exc).__name__}。请用 PDF 阅读器确认能打开后重新导出。"
        ) from exc
    if not any(pages):
        raise IngestError(SCANNED_PDF)
    return "\n\n".join(page for page in pages if page)


def _read_docx(data: bytes) -> str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():  # paragraphs and tables in order
            if not isinstance(block, Table):
                lines.append(block.text)
                continue
            for row in block.rows:  # one line per row; a merged cell repeats in row.cells
                cells = (" ".join(cell.text.split()) for cell in dict.fromkeys(row.cells))
                lines.append(" | ".join(c for c in cells if c))
    except Exception as exc:  # not a zip, not a Word document, broken XML, ...
        raise IngestError(
            f"无法解析这个 DOCX（文件可能已损坏，或不是 Word 文档）：{type(exc).__name__}。"
            "请用 Word/WPS 打开后另存为 .docx 再上传。"
        ) from exc
    text = "\n".join(lines)
    if not text.strip():
        raise IngestError("这个 DOCX 里没有文字（正文和表格都是空的）。")
    return text


# suffix -> bytes-to-text function.
EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".markdown": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}


def parse_document(text: str, doc_id: str, path: str = "", sha256: str | None = None) -> Document:
    """Build a Document from already-extracted text (newlines normalized to ``\\n``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata, paragraphs = analyze(text, fallback_title=doc_id)
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id, path, digest, text, metadata, tuple(paragraphs))


def _check_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in EXTRACTORS:
        supported = "、".join(sorted(EXTRACTORS))
        raise IngestError(f"不支持的文件类型 {suffix or '(无扩展名)'}；支持：{supported}")
    return suffix


def _check_format(data: bytes, suffix: str, name: str) -> None:
    """Refuse content that does not match the extension (a PNG named .txt, text named .pdf)."""
    found = sniff_format(data)
    if (
        suffix == ".pdf"
        and b"%PDF-" in data[:1024]  # readers allow junk before the header
        or suffix == ".docx"
        and found == SIGNATURES[b"PK\x03\x04"]
        or suffix not in (".pdf", ".docx")
        and found is None
    ):
        return
    if suffix == ".docx" and found == SIGNATURES[b"\xd0\xcf\x11\xe0"]:
        raise IngestError(f"文件 {name} 是旧版 Word（.doc）格式；请用 Word/WPS 另存为 .docx 后再上传。")
    raise IngestError(
        f"文件 {name} 的扩展名是 {suffix}，但内容看起来是{found or '文本'}，与扩展名不符；"
        "请确认文件没有损坏、扩展名正确后再上传。"
    )


def load_document_bytes(data: bytes, file_name: str, doc_id: str | None = None) -> Document:
    """Read an uploaded file's bytes. Raises IngestError with a user-facing message."""
    name = re.split(r"[\\/]", file_name)[-1]
    suffix = _check_suffix(name)
    if not data.strip():
        raise IngestError(f"文件 {name} 是空的。")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"文件 {name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限。")
    _check_format(data, suffix, name)
    text = EXTRACTORS[suffix](data)
    document = parse_document(text, doc_id or doc_id_for(Path(name)), name, hashlib.sha256(data).hexdigest())
    if not any(p.kind != "meta" for p in document.paragraphs):
        raise IngestError(f"文件 {name} 中没有找到正文文字。")
    return document


def load_document(path: str | Path, doc_id: str | None = None) -> Document:
    """Read one file. Raises IngestError with a user-facing message when it can't."""
    path = Path(path)
    _check_suffix(path.name)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise IngestError(f"文件 {path.name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限。")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"无法读取文件 {path}: {exc.strerror}") from exc
    document = load_document_bytes(data, path.name, doc_id or doc_id_for(path))
    return dataclasses.replace(document, path=str(path))
