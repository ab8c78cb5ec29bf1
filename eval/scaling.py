"""Statistics and search-scaling measurements for ``eval bench`` (no model needed).

Corpus growth is simulated by replicating real chunk vectors with gaussian noise; every
time is in milliseconds.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from embeddings.faiss_index import DenseIndex
from eval.metrics import percentile

GROWTH_NOISE = 0.3  # norm of the gaussian noise added to each replica (cosine to its original ≈ 0.96)


def summarize(values: Sequence[float]) -> dict:
    """``{"n", "p50", "p95", "mean"}`` rounded to 3 decimals; p50/p95/mean are None when empty."""
    if not len(values):
        return {"n": 0, "p50": None, "p95": None, "mean": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3),
            "mean": round(float(np.mean(values)), 3)}


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean over queries of |found[:k] ∩ truth[:k]| / |truth[:k]| (ids < 0 ignored).

    Both are (queries, ≥k) id arrays; a query with no true neighbours counts as 1.0.
    """
    scores = []
    for got, want in zip(np.asarray(found), np.asarray(truth)):
        wanted = {int(i) for i in want[:k] if i >= 0}
        scores.append(len(wanted & {int(i) for i in got[:k] if i >= 0}) / len(wanted) if wanted else 1.0)
    return float(np.mean(scores)) if scores else 1.0


def replicate(vectors: np.ndarray, factor: int, noise: float = GROWTH_NOISE, seed: int = 0) -> np.ndarray:
    """``factor`` copies of the rows: the first exact, the rest plus gaussian noise of norm ≈ ``noise``,
    all L2-normalized (float32, shape (factor * n, d))."""
    if factor < 1:
        raise ValueError("factor must be >= 1")
    base = np.ascontiguousarray(vectors, dtype=np.float32)
    rng = np.random.default_rng(seed)
    scale = noise / np.sqrt(base.shape[1])
    copies = [base] + [base + rng.normal(0.0, scale, base.shape).astype(np.float32) for _ in range(factor - 1)]
    out = np.concatenate(copies)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _timed_searches(search: Callable[[int], np.ndarray], queries: int, repeats: int,
                    width: int) -> tuple[np.ndarray, list[float]]:
    """Run ``search(i)`` for each query ``repeats`` times; (ids padded with -1 to ``width``, ms samples)."""
    ids = np.full((queries, width), -1, dtype=np.int64)
    samples = []
    for i in range(queries):
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            rows = search(i)
            samples.append((time.perf_counter() - t0) * 1000)
        ids[i, :len(rows[:width])] = rows[:width]
    return ids, samples


def dense_growth(vectors: np.ndarray, queries: np.ndarray, factors: Sequence[int],
                 kinds: Sequence[str] = ("flat", "hnsw"), k: int = 10, candidates: int = 50,
                 repeats: int = 3, noise: float = GROWTH_NOISE, seed: int = 0) -> list[dict]:
    """Search latency (``candidates`` hits per query, one query at a time, as the retriever does)
    and recall@k against flat, per factor and index kind. One row per (factor, kind)."""
    rows = []
    for factor in factors:
        grown = replicate(vectors, factor, noise, seed)
        truth = None
        for kind in sorted(kinds, key=lambda name: name != "flat"):  # flat first: it is the truth
            t0 = time.perf_counter()
            index = DenseIndex.build(grown, kind)
            build_s = time.perf_counter() - t0
            n = min(candidates, index.size)
            ids, samples = _timed_searches(lambda i: index.search(queries[i], n)[1], len(queries), repeats, n)
            if kind == "flat":
                truth = ids
            recall = recall_at_k(ids, truth, k) if truth is not None else None
            rows.append({"factor": factor, "vectors": int(index.size), "kind": kind, "build_s": round(build_s, 3),
                         **{key: value for key, value in summarize(samples).items() if key != "mean"},
                         f"recall@{k}": None if recall is None else round(recall, 4)})
    return rows


def lexical_growth(texts: Sequence[str], query_texts: Sequence[Sequence[str]], factors: Sequence[int],
                   candidates: int = 50, repeats: int = 3) -> list[dict]:
    """BM25 latency over the chunk texts replicated ``factor`` times (tokenized once), timed like
    the retriever: tokenize the query and its variants, score every chunk, take the top candidates."""
    import bm25s

    from qa.lexical import LexicalIndex, tokenize

    tokens = [tokenize(t) for t in texts]
    rows = []
    for factor in factors:
        t0 = time.perf_counter()
        bm25 = bm25s.BM25(method="lucene")
        bm25.index(tokens * factor or [[]], show_progress=False)
        lexical = LexicalIndex(bm25)
        build_s = time.perf_counter() - t0

        def search(i: int) -> np.ndarray:
            return np.argsort(-lexical.scores(list(query_texts[i])), kind="stable")[:candidates]

        _, samples = _timed_searches(search, len(query_texts), repeats, candidates)
        rows.append({"factor": factor, "vectors": len(texts) * factor, "kind": "bm25", "build_s": round(build_s, 3),
                     **{key: value for key, value in summarize(samples).items() if key != "mean"}})
    return rows
