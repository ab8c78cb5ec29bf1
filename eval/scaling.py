"""Statistics and search-scaling measurements for ``eval bench`` (no model needed; the Milvus
measurement needs a connected client, e.g. milvus-lite).

Corpus growth is simulated by replicating real chunk vectors with gaussian noise; every
time is in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from eval.metrics import percentile
from qa.index.dense import DenseIndex

GROWTH_NOISE = 0.3  # norm of the gaussian noise added to each replica (cosine to its original ≈ 0.96)


def summarize(values: Sequence[float]) -> dict:
    """``{"n", "p50", "p95", "mean"}`` rounded to 3 decimals; p50/p95/mean are None when empty."""
    if not len(values):
        return {"n": 0, "p50": None, "p95": None, "mean": None}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "mean": round(float(np.mean(values)), 3),
    }


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


def _timed_searches(
    search: Callable[[int], np.ndarray], queries: int, repeats: int, width: int
) -> tuple[np.ndarray, list[float]]:
    """Run ``search(i)`` for each query ``repeats`` times; (ids padded with -1 to ``width``, ms samples)."""
    ids = np.full((queries, width), -1, dtype=np.int64)
    samples = []
    for i in range(queries):
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            rows = search(i)
            samples.append((time.perf_counter() - t0) * 1000)
        ids[i, : len(rows[:width])] = rows[:width]
    return ids, samples


def dense_growth(
    vectors: np.ndarray,
    queries: np.ndarray,
    factors: Sequence[int],
    kinds: Sequence[str] = ("flat", "hnsw"),
    k: int = 10,
    candidates: int = 50,
    repeats: int = 3,
    noise: float = GROWTH_NOISE,
    seed: int = 0,
) -> list[dict]:
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
            ids, samples = _timed_searches(
                lambda i, index=index, n=n: index.search(queries[i], n)[1], len(queries), repeats, n
            )
            if kind == "flat":
                truth = ids
            recall = recall_at_k(ids, truth, k) if truth is not None else None
            rows.append(
                {
                    "factor": factor,
                    "vectors": int(index.size),
                    "kind": kind,
                    "build_s": round(build_s, 3),
                    **{key: value for key, value in summarize(samples).items() if key != "mean"},
                    f"recall@{k}": None if recall is None else round(recall, 4),
                }
            )
    return rows


def lexical_growth(
    texts: Sequence[str],
    query_texts: Sequence[Sequence[str]],
    factors: Sequence[int],
    candidates: int = 50,
    repeats: int = 3,
) -> list[dict]:
    """BM25 latency over the chunk texts replicated ``factor`` times (tokenized once), timed like
    the retriever: tokenize the query and its variants, score every chunk, take the top candidates."""
    import bm25s

    from qa.index.lexical import LexicalIndex, tokenize

    tokens = [tokenize(t) for t in texts]
    rows = []
    for factor in factors:
        t0 = time.perf_counter()
        bm25 = bm25s.BM25(method="lucene")
        bm25.index(tokens * factor or [[]], show_progress=False)
        lexical = LexicalIndex(bm25)
        build_s = time.perf_counter() - t0

        def search(i: int, lexical=lexical) -> np.ndarray:
            return np.argsort(-lexical.scores(list(query_texts[i])), kind="stable")[:candidates]

        _, samples = _timed_searches(search, len(query_texts), repeats, candidates)
        rows.append(
            {
                "factor": factor,
                "vectors": len(texts) * factor,
                "kind": "bm25",
                "build_s": round(build_s, 3),
                **{key: value for key, value in summarize(samples).items() if key != "mean"},
            }
        )
    return rows


def milvus_growth(
    client,
    chunks: Sequence,
    documents: dict,
    vectors: np.ndarray,
    queries: np.ndarray,
    query_texts: Sequence[Sequence[str]],
    factors: Sequence[int],
    retrieval,
    k: int = 10,
    candidates: int = 50,
    repeats: int = 3,
    noise: float = GROWTH_NOISE,
    seed: int = 0,
    log: Callable[[str], None] = lambda message: None,
) -> list[dict]:
    """The Milvus store (``client``: a connected ``MilvusClient``, e.g. milvus-lite on a temp
    ``.db``) at each factor: the chunks replicated like :func:`dense_growth` (same vectors for
    the same seed) inserted with the project's schema (:mod:`qa.index.milvus`), then per query
    a dense search (``candidates`` hits; recall@k against exact search over the same vectors)
    and a hybrid search through :meth:`qa.index.milvus.MilvusIndex.search` (dense + BM25 fused
    in Milvus, as the retriever calls it). Two rows per factor, "milvus dense" and "milvus
    hybrid"; ``build_s`` is the time to insert and flush every row and for the vector index to
    take them all in."""

    from qa.index.milvus import MilvusIndex
    from qa.index.milvus_schema import ensure_schema
    from qa.index.milvus_sync import chunk_row

    rows = []
    for factor in factors:
        grown = replicate(vectors, factor, noise, seed)
        collection = f"bench_growth_{factor}x"
        for name in (f"{collection}_documents", collection):
            client.drop_collection(name)
        t0 = time.perf_counter()
        ensure_schema(client, collection, grown.shape[1])
        batch: list[dict] = []
        for position, vector in enumerate(grown):
            replica, chunk = divmod(position, len(chunks))
            c = chunks[chunk]
            date = documents[c.doc_id].date if c.doc_id in documents else None
            chunk_id = c.chunk_id if replica == 0 else f"{c.chunk_id}#{replica}"
            batch.append(chunk_row(c, date, vector, "bench", pk=str(position), chunk_id=chunk_id))
            if len(batch) == 1000 or position == len(grown) - 1:
                client.insert(collection, batch)
                batch = []
        client.upsert(
            f"{collection}_documents",
            [
                {
                    "doc_id": d.doc_id,
                    **{f: getattr(d, f) or "" for f in ("file", "sha256", "title", "date", "source", "published")},
                    "kind": d.kind,
                    "chunks": d.chunks,
                    "ingest_id": "bench",
                    "config": "{}",
                    "years": [],
                    "_unused": [1.0, 0.0],
                }
                for d in documents.values()
            ],
        )
        client.flush(collection)
        deadline = time.monotonic() + 120  # let the vector index catch up before searching
        while client.describe_index(collection, "vector").get("pending_index_rows") and time.monotonic() < deadline:
            time.sleep(0.2)
        build_s = time.perf_counter() - t0
        log(f"milvus {factor}x: inserted {len(grown):,} rows in {build_s:.1f} s")
        index = MilvusIndex(client, collection, refresh_s=float("inf")).refresh()
        expr = index.filter_expression(None)
        n = min(candidates, len(grown))

        def dense(i: int, collection=collection, n=n, expr=expr) -> np.ndarray:
            hits = client.search(
                collection,
                data=[queries[i].tolist()],
                anns_field="vector",
                search_params={"metric_type": "COSINE"},
                limit=n,
                filter=expr,
                output_fields=["pk"],
            )[0]
            return np.array([int(hit["entity"]["pk"]) for hit in hits], dtype=np.int64)

        def hybrid(i: int, index=index, n=n) -> np.ndarray:
            return np.arange(len(index.search(queries[i], list(query_texts[i]), n, retrieval)))

        if not len(dense(0)) or not len(hybrid(0)):  # first searches load segments: untimed
            raise RuntimeError(f"Milvus found nothing in {collection} ({len(grown)} rows inserted)")
        ids, dense_ms = _timed_searches(dense, len(queries), repeats, n)
        truth = np.argsort(-(np.asarray(queries, dtype=np.float32) @ grown.T), axis=1, kind="stable")[:, :k]
        _, hybrid_ms = _timed_searches(hybrid, len(queries), repeats, n)
        for kind, samples, recall in (
            ("milvus dense", dense_ms, recall_at_k(ids, truth, k)),
            ("milvus hybrid", hybrid_ms, None),
        ):
            rows.append(
                {
                    "factor": factor,
                    "vectors": len(grown),
                    "kind": kind,
                    "build_s": round(build_s, 3),
                    **{key: value for key, value in summarize(samples).items() if key != "mean"},
                    f"recall@{k}": None if recall is None else round(recall, 4),
                }
            )
        for name in (f"{collection}_documents", collection):
            client.drop_collection(name)
    return rows
