"""What retrieval returns: ranked :class:`Hit` objects (a chunk and its fused score) in a
:class:`RetrievalResult`, plus the period boost shared by retrieval and reading.

Kept apart from :mod:`qa.search.retrieval` so that the answer layer can use hits without
importing the encoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.ingest.chunking import Chunk
from qa.search.normalize import NormalizedQuery
from qa.text import years_named


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused (and period-adjusted) retrieval score
    dense: float | None = None  # cosine similarity of question and chunk, when dense search found it
    lexical: float | None = None  # BM25 score, when lexical search found it

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "doc": c.doc_id,
            "section": c.section_path,
            "text": c.text,
            "score": round(self.score, 6),
            "start": c.start,
            "end": c.end,
            "chunk_id": c.chunk_id,
            "period": c.period,
        }


@dataclass
class RetrievalResult:
    question: str
    query: NormalizedQuery
    hits: list[Hit]
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    query_vector: object = None  # the question's embedding (numpy), when dense search ran

    @property
    def rewritten(self) -> str:
        return self.query.rewritten

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "rewritten": self.rewritten,
            "hits": [h.to_dict() for h in self.hits],
            "timings_ms": self.timings,
        }


def period_adjustment(query_years: frozenset[int], period: str | None, weight: float) -> float:
    """+weight when a chunk's period is the period the question names, -weight when disjoint."""
    chunk_years = years_named(period)
    if not query_years or not chunk_years:
        return 0.0
    if chunk_years == query_years:
        return weight
    return -weight if not chunk_years & query_years else 0.0
