"""Hybrid retrieval: dense FAISS + BM25, fused.

``Retriever.retrieve(question, k)`` normalizes the question, searches both
indexes, fuses them and returns ranked :class:`Hit` objects with the original
text and its offsets. Fusion is a weighted sum of min-max normalized scores by
default (measured better than reciprocal rank fusion, which ``fusion="rrf"`` selects).
Tied scores share a rank, and a list with no signal (all-zero BM25) is left out.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from embeddings.encoder import Encoder
from qa.chunking import Chunk
from qa.index_store import CorpusIndex
from qa.normalize import NormalizedQuery, normalize_query
from qa.settings import RetrievalSettings


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None

    def to_dict(self) -> dict:
        c = self.chunk
        return {"doc": c.doc_id, "section": c.section_path, "text": c.text, "score": round(self.score, 6),
                "start": c.start, "end": c.end, "chunk_id": c.chunk_id, "period": c.period}


@dataclass
class RetrievalResult:
    question: str
    query: NormalizedQuery
    hits: list[Hit]
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage

    @property
    def rewritten(self) -> str:
        return self.query.rewritten

    def to_dict(self) -> dict:
        return {"question": self.question, "rewritten": self.rewritten,
                "hits": [h.to_dict() for h in self.hits], "timings_ms": self.timings}


def tied_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based competition ranks (equal scores share the best rank) for descending scores."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    previous, rank = None, 0
    for position, row in enumerate(order, start=1):
        if previous is None or scores[row] != previous:
            rank, previous = position, scores[row]
        ranks[row] = rank
    return ranks


def fuse(candidates: list[dict[int, float]], weights: list[float], method: str, rrf_k: int) -> dict[int, float]:
    """Fuse ranked lists given as {row: score}. Empty lists contribute nothing."""
    fused: dict[int, float] = {}
    for scores_by_row, weight in zip(candidates, weights):
        if not scores_by_row:
            continue
        rows = np.fromiter(scores_by_row.keys(), dtype=np.int64)
        scores = np.fromiter(scores_by_row.values(), dtype=np.float64)
        if method == "rrf":
            contribution = weight / (rrf_k + tied_ranks(scores))
        else:
            low, high = scores.min(), scores.max()
            contribution = weight * ((scores - low) / (high - low) if high > low else np.ones_like(scores))
        for row, value in zip(rows.tolist(), contribution.tolist()):
            fused[row] = fused.get(row, 0.0) + value
    return fused


YEAR_SPAN = re.compile(r"((?:19|20)\d{2})(?:年)?(?:\s*[—–-]\s*((?:19|20)\d{2}))?年")


def years_named(text: str | None) -> frozenset[int]:
    """Years a text names: "2021年" → {2021}; "2017—2021年" → {2017, …, 2021}."""
    years: set[int] = set()
    for match in YEAR_SPAN.finditer(text or ""):
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        if first <= last <= first + 20:
            years.update(range(first, last + 1))
    return frozenset(years)


def period_adjustment(query_years: frozenset[int], period: str | None, weight: float) -> float:
    """+weight when a chunk's period is the period the question names, -weight when disjoint."""
    chunk_years = years_named(period)
    if not query_years or not chunk_years:
        return 0.0
    if chunk_years == query_years:
        return weight
    return -weight if not chunk_years & query_years else 0.0


class Retriever:
    """Searches one loaded :class:`CorpusIndex` with one encoder."""

    def __init__(self, index: CorpusIndex, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings

    def retrieve(self, question: str, k: int | None = None, mode: str = "hybrid") -> RetrievalResult:
        """Top-k hits. ``mode``: "hybrid" (default), "dense" or "lexical"."""
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"mode must be hybrid, dense or lexical, not {mode!r}")
        k = k or self.settings.k
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = normalize_query(question, self.index.reference_date)
        timings["normalize"] = (time.perf_counter() - t0) * 1000
        if not query.rewritten or not self.index.chunks:
            return RetrievalResult(question, query, [], timings)
        n = self.settings.candidates

        dense: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            t0 = time.perf_counter()
            vector = self.encoder.encode_queries([query.rewritten])[0]
            timings["embed"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            scores, rows = self.index.dense.search(vector, n)
            dense = dict(zip(rows.tolist(), scores.tolist()))
            timings["dense_search"] = (time.perf_counter() - t0) * 1000

        lexical: dict[int, float] = {}
        if mode in ("hybrid", "lexical"):
            t0 = time.perf_counter()
            bm25 = self.index.lexical.scores([query.rewritten, *query.variants])
            top = np.argsort(-bm25, kind="stable")[:n]
            lexical = {int(r): float(bm25[r]) for r in top if bm25[r] > 0}
            timings["lexical_search"] = (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        s = self.settings
        fused = fuse([dense, lexical], [s.dense_weight, s.lexical_weight], s.fusion, s.rrf_k)
        query_years = years_named(query.rewritten)
        if query_years and s.period_weight:
            chunks = self.index.chunks
            fused = {row: score + period_adjustment(query_years, chunks[row].period, s.period_weight)
                     for row, score in fused.items()}
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        hits = [Hit(self.index.chunks[row], score, dense.get(row), lexical.get(row)) for row, score in ranked]
        timings["fuse"] = (time.perf_counter() - t0) * 1000
        return RetrievalResult(question, query, hits, timings)
