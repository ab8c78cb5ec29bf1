"""Sentence-window chunks inside paragraphs, with exact offsets into the document.

A chunk never crosses a paragraph, except that the paragraphs of one legal article
(第N条 with its later paragraphs and (一)(二) items) form one unit. ``document.text[chunk.start:
chunk.end] == chunk.text`` always holds; ``embed_text`` (what the encoders and BM25 see) adds
the document title, period and section path as context and squeezes stray spaces ("400 万亩").
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from qa.ingest.decode import Document
from qa.ingest.structure import ARTICLE, Paragraph, is_list_item
from qa.settings import ChunkingSettings
from qa.text import CLAUSE_MARKS, INTRODUCES_ITEMS, split_sentences, squeeze_spaces

CLAUSE_END = re.compile(f"[{CLAUSE_MARKS}]")
# Bump when ingestion or chunking changes what a chunk holds (text, section, period, title):
# an index built by other code is then rebuilt, not reused.
INGEST_VERSION = 11


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    paragraph: int
    start: int
    end: int
    text: str  # the original words, exactly doc_text[start:end]
    section: tuple[str, ...]
    period: str | None
    kind: str  # the paragraph's: "meta" (title/source line), "heading" or "body"
    title: str = ""  # the document's title
    doc_kind: str = ""  # the document's kind: its folder under the corpus root ("" at the top)

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)

    @property
    def context(self) -> str:
        """Where the chunk sits, in words: document title, period and section path."""
        parts = [self.title, f"[{self.period}]" if self.period else "", self.section_path]
        return " ".join(p for p in parts if p)

    @property
    def embed_text(self) -> str:
        body = squeeze_spaces(self.text)
        return f"{self.context}\n{body}" if self.context else body

    def to_dict(self) -> dict:
        out = asdict(self)
        out["section"] = list(self.section)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        return cls(**{**data, "section": tuple(data["section"])})


def _cut_long(span: tuple[int, int], text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause marks into pieces of at most ~max_chars."""
    start, end = span
    pieces, piece_start = [], start
    while end - piece_start > max_chars:
        window = text[piece_start : piece_start + max_chars]
        cuts = [m.end() for m in CLAUSE_END.finditer(window) if m.end() > max_chars // 3]
        cut = piece_start + (cuts[-1] if cuts else max_chars)
        pieces.append((piece_start, cut))
        piece_start = cut
    pieces.append((piece_start, end))
    return pieces


def _windows(spans: list[tuple[int, int]], settings: ChunkingSettings) -> list[tuple[int, int]]:
    windows, i = [], 0
    while i < len(spans):
        j = i
        while spans[j][1] - spans[i][0] < settings.target_chars and j + 1 < len(spans):
            if spans[j + 1][1] - spans[i][0] > settings.max_chars:
                break
            j += 1
        windows.append((spans[i][0], spans[j][1]))
        if j + 1 >= len(spans):
            break
        i = max(i + 1, j + 1 - settings.overlap_sentences)
    return windows


def _units(paragraphs) -> list[list[Paragraph]]:
    """Paragraphs grouped into chunking units: one paragraph each, except that consecutive
    paragraphs of the same legal article stay together, and so do a line that introduces items
    ("需提交以下材料：") and the item lines after it."""
    units: list[list[Paragraph]] = []
    for paragraph in paragraphs:
        previous = units[-1][-1] if units else None
        same_body = previous is not None and previous.section == paragraph.section and previous.kind == paragraph.kind
        lists = bool(units) and INTRODUCES_ITEMS.search(units[-1][0].text) and is_list_item(paragraph.text)
        article = bool(paragraph.section) and ARTICLE.match(paragraph.section[-1])
        if same_body and paragraph.kind == "body" and (article or lists):
            units[-1].append(paragraph)
        else:
            units.append([paragraph])
    return units


def chunk_unit(doc: Document, unit: list[Paragraph], settings: ChunkingSettings, doc_kind: str = "") -> list[Chunk]:
    """Sentence windows over one unit of paragraphs (see :func:`_units`)."""
    spans: list[tuple[int, int]] = []
    for paragraph in unit:
        for span in split_sentences(paragraph.text, paragraph.start):
            spans.extend(_cut_long(span, doc.text, settings.max_chars))
    first = unit[0]
    chunks = []
    for n, (start, end) in enumerate(_windows(spans, settings)):
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#p{first.number}.{n}",
                doc_id=doc.doc_id,
                paragraph=first.number,
                start=start,
                end=end,
                text=doc.text[start:end],
                section=first.section,
                period=first.period,
                kind=first.kind,
                title=doc.title,
                doc_kind=doc_kind,
            )
        )
    return chunks


def chunk_document(doc: Document, settings: ChunkingSettings, doc_kind: str = "") -> list[Chunk]:
    """All chunks of a document, in reading order."""
    return [c for unit in _units(doc.paragraphs) for c in chunk_unit(doc, unit, settings, doc_kind)]
