"""Hybrid retrieval over any :class:`qa.index.base.SearchIndex`.

``Retriever.retrieve(question, k)`` normalizes the question, embeds it, lets the index
search densely and lexically and fuse the lists (a weighted sum of min-max normalized
scores by default, measured better than reciprocal rank fusion), boosts chunks about the
period the question names, and returns ranked :class:`Hit` objects with the original text
and its offsets.
"""

from __future__ import annotations

import time

from embeddings.encoder import Encoder
from qa.index.base import Filters, SearchIndex
from qa.search.hits import Hit, RetrievalResult, period_adjustment
from qa.search.normalize import normalize_query
from qa.settings import RetrievalSettings
from qa.text import years_named


class Retriever:
    """Searches one loaded :class:`SearchIndex` with one encoder."""

    def __init__(self, index: SearchIndex, encoder: Encoder, settings: RetrievalSettings) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings

    def retrieve(
        self, question: str, k: int | None = None, mode: str = "hybrid", filters: Filters | None = None
    ) -> RetrievalResult:
        """Top-k hits. ``mode``: "hybrid" (default), "dense" or "lexical"; ``filters`` narrow
        the search to some documents, kinds or years."""
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"mode must be hybrid, dense or lexical, not {mode!r}")
        k = k or self.settings.k
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = normalize_query(question, self.index.reference_date)
        timings["normalize"] = (time.perf_counter() - t0) * 1000
        if not query.rewritten or not self.index.documents:
            return RetrievalResult(question, query, [], timings)
        n = self.settings.candidates
        vector = None
        if mode in ("hybrid", "dense"):
            t0 = time.perf_counter()
            vector = self.encoder.encode_queries([query.rewritten])[0]
            timings["embed"] = (time.perf_counter() - t0) * 1000
        queries = [query.rewritten, *query.variants] if mode in ("hybrid", "lexical") else []
        t0 = time.perf_counter()
        matches = self.index.search(vector, queries, n, self.settings, filters)
        timings["search"] = (time.perf_counter() - t0) * 1000
        query_years = years_named(query.rewritten)
        weight = self.settings.period_weight
        scored = [
            (m.score + period_adjustment(query_years, m.chunk.period, weight), i, m) for i, m in enumerate(matches)
        ]
        ranked = sorted(scored, key=lambda item: (-item[0], item[1]))[:k]
        hits = [Hit(m.chunk, score, m.dense, m.lexical) for score, _, m in ranked]
        return RetrievalResult(question, query, hits, timings, vector)
