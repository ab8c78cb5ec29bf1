"""Fusing ranked lists: weighted min-max score sums (the default) or reciprocal rank fusion.

Tied scores share a rank, and a list with no signal (empty, e.g. all-zero BM25) is left out.
"""

from __future__ import annotations

import numpy as np


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
