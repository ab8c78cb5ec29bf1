"""Sentence-window chunks inside paragraphs, with exact offsets into the document.

A chunk never crosses a paragraph. ``document.text[chunk.start:chunk.end] ==
chunk.text`` always holds; ``embed_text`` (what the encoders and BM25 see) adds the
period and section path as context and squeezes stray spaces ("400 万亩").
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from qa.ingest import Document
from qa.settings import ChunkingSettings
from qa.structure import Paragraph

SENTENCE = re.compile(r"[^。;；!！?？]*(?:[。;；!！?？]+[”’\"」』)）]*|$)")
CLAUSE_END = re.compile(r"[，,、：:]")
SPACE_BETWEEN = re.compile(r"(?<=[^\sA-Za-z])[ \t\u3000\xa0]+|[ \t\u3000\xa0]+(?=[^\sA-Za-z])")


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
    kind: str

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)

    @property
    def context(self) -> str:
        """Where the chunk sits, in words: period and section path."""
        parts = [f"[{self.period}]" if self.period else "", self.section_path]
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
    def from_dict(cls, data: dict) -> "Chunk":
        return cls(**{**data, "section": tuple(data["section"])})


def squeeze_spaces(text: str) -> str:
    """Drop spaces next to CJK characters, digits and punctuation; keep them between Latin words."""
    return SPACE_BETWEEN.sub("", text)


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """``[start, end)`` spans of sentences ending in 。;；!！?？ (closing quotes stay attached)."""
    spans = []
    for match in SENTENCE.finditer(text):
        if match.end() > match.start():
            spans.append((offset + match.start(), offset + match.end()))
    return spans


def _cut_long(span: tuple[int, int], text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause marks into pieces of at most ~max_chars."""
    start, end = span
    pieces, piece_start = [], start
    while end - piece_start > max_chars:
        window = text[piece_start: piece_start + max_chars]
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


def chunk_paragraph(doc: Document, paragraph: Paragraph, settings: ChunkingSettings) -> list[Chunk]:
    spans: list[tuple[int, int]] = []
    for span in split_sentences(paragraph.text, paragraph.start):
        spans.extend(_cut_long(span, doc.text, settings.max_chars))
    chunks = []
    for n, (start, end) in enumerate(_windows(spans, settings)):
        # trim whitespace at the window's edges so the text starts and ends on a character
        raw = doc.text[start:end]
        start += len(raw) - len(raw.lstrip())
        end -= len(raw) - len(raw.rstrip())
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}#p{paragraph.number}.{n}", doc_id=doc.doc_id,
            paragraph=paragraph.number, start=start, end=end, text=doc.text[start:end],
            section=paragraph.section, period=paragraph.period, kind=paragraph.kind,
        ))
    return chunks


def chunk_document(doc: Document, settings: ChunkingSettings) -> list[Chunk]:
    """All chunks of a document, in reading order."""
    return [c for p in doc.paragraphs for c in chunk_paragraph(doc, p, settings)]
