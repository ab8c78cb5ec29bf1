"""Read documents from disk into :class:`Document` objects.

A document's ``text`` is the text a citation points into: the decoded file for
plain text and Markdown, the visible text for HTML (and, later, the extracted text
layer for PDF/DOCX, which plug in through :data:`EXTRACTORS`). Everything else
(paragraphs, chunks, offsets) refers to ``text`` by ``[start, end)``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa.structure import Metadata, Paragraph, analyze

MAX_FILE_BYTES = 20 * 1024 * 1024


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


def doc_id_for(path: Path) -> str:
    """A stable, file-system-safe id from the file name."""
    stem = unicodedata.normalize("NFKC", path.stem)
    safe = re.sub(r"[^\w.-]+", "-", stem, flags=re.UNICODE).strip("-.")
    return safe or "document"


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
                return data[len(bom):].decode(encoding)
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
    """Visible text of an HTML page, one block element per line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    return soup.get_text("\n")


def _read_plain(data: bytes) -> str:
    return decode_text(data)


def _read_html(data: bytes) -> str:
    return html_to_text(decode_text(data))


# suffix -> bytes-to-text function; PDF and DOCX readers register here.
EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".markdown": _read_plain,
    ".html": _read_html,
    ".htm": _read_html,
}


def parse_document(text: str, doc_id: str, path: str = "", sha256: str | None = None) -> Document:
    """Build a Document from already-extracted text (newlines normalized to ``\\n``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata, paragraphs = analyze(text, fallback_title=doc_id)
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id, path, digest, text, metadata, tuple(paragraphs))


def load_document(path: str | Path, doc_id: str | None = None) -> Document:
    """Read one file. Raises IngestError with a user-facing message when it can't."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXTRACTORS:
        supported = "、".join(sorted(EXTRACTORS))
        raise IngestError(f"不支持的文件类型 {suffix or '(无扩展名)'}；支持：{supported}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"无法读取文件 {path}: {exc.strerror}") from exc
    if not data.strip():
        raise IngestError(f"文件 {path.name} 是空的。")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"文件 {path.name} 超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限。")
    text = EXTRACTORS[suffix](data)
    document = parse_document(text, doc_id or doc_id_for(path), str(path), hashlib.sha256(data).hexdigest())
    if not any(p.kind != "meta" for p in document.paragraphs):
        raise IngestError(f"文件 {path.name} 中没有找到正文文字。")
    return document
