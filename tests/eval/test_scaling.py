"""Search latency as the corpus grows (eval/scaling.py): percentiles, recall, replication, and the
FAISS, BM25 and Milvus rows on tiny vectors."""

import numpy as np
import pytest

from eval.scaling import dense_growth, milvus_growth, percentile, recall_at_k, replicate, summarize


def test_percentile_interpolates_and_refuses_empty():
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([0, 10], 95) == pytest.approx(9.5)
    assert percentile([7], 95) == 7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_handles_empty():
    assert summarize([]) == {"n": 0, "p50": None, "p95": None, "mean": None}
    assert summarize([1.0, 2.0, 3.0]) == {"n": 3, "p50": 2.0, "p95": 2.9, "mean": 2.0}


def test_recall_at_k():
    truth = np.array([[1, 2, 3, 4], [5, 6, -1, -1]])
    assert recall_at_k(truth, truth, 4) == 1.0
    found = np.array([[1, 2, 9, 8], [6, 7, 5, -1]])
    assert recall_at_k(found, truth, 2) == pytest.approx((1.0 + 0.5) / 2)
    assert recall_at_k(found, truth, 4) == pytest.approx((0.5 + 1.0) / 2)
    assert recall_at_k(np.array([[1]]), np.array([[-1]]), 1) == 1.0  # nothing to find


def test_replicate_keeps_the_original_and_normalizes():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(6, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    grown = replicate(base, 3, noise=0.3)
    assert grown.shape == (18, 16) and grown.dtype == np.float32
    assert np.allclose(np.linalg.norm(grown, axis=1), 1.0, atol=1e-5)
    assert np.allclose(grown[:6], base, atol=1e-6)
    cosine = np.sum(grown[6:12] * base, axis=1)
    assert np.all(cosine > 0.8) and np.all(cosine < 1.0)
    with pytest.raises(ValueError):
        replicate(base, 0)


def test_dense_growth_on_tiny_vectors():
    rng = np.random.default_rng(0)
    vectors, queries = rng.normal(size=(40, 8)).astype(np.float32), rng.normal(size=(4, 8)).astype(np.float32)
    rows = dense_growth(vectors, queries, [1, 2], kinds=("hnsw", "flat"), k=10, candidates=20, repeats=1)
    assert [(r["factor"], r["kind"], r["vectors"]) for r in rows] == [
        (1, "flat", 40),
        (1, "hnsw", 40),
        (2, "flat", 80),
        (2, "hnsw", 80),
    ]
    assert all(r["recall@10"] == 1.0 for r in rows if r["kind"] == "flat")
    assert all(0.0 <= r["recall@10"] <= 1.0 and r["p50"] is not None for r in rows)
    only_flat = dense_growth(vectors, queries, [1], kinds=("flat",), repeats=1)
    assert only_flat[0]["recall@10"] == 1.0


def test_milvus_growth_on_tiny_vectors(tmp_path):
    """The Milvus rows of the growth table, on milvus-lite with invented chunks."""
    from dataclasses import replace

    from qa.index.base import DocumentRecord
    from qa.index.milvus import connect
    from qa.ingest.chunking import Chunk
    from qa.settings import Settings

    texts = [f"第{n}条　某镇第{n}项规定的内容。" for n in range(12)]
    chunks = [
        Chunk(f"d#{n}", "d", n, 0, len(t), t, (f"第{n}条",), None, "body", "某镇规定") for n, t in enumerate(texts)
    ]
    documents = {"d": DocumentRecord("d", "d.txt", "0" * 64, "某镇规定", None, chunks=12)}
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings = Settings(data_dir=tmp_path)
    settings = settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri="growth.db"))
    client = connect(settings)
    try:
        rows = milvus_growth(
            client, chunks, documents, vectors, vectors[:3], [(t,) for t in texts[:3]], [1, 2], settings.retrieval,
            k=2, candidates=4, repeats=1,
        )  # fmt: skip
    finally:
        client.close()
    assert sorted({r["kind"] for r in rows}) == ["milvus dense", "milvus hybrid"]
    assert {r["vectors"] for r in rows} == {12, 24}
    assert all(r["p50"] is not None for r in rows)
    assert all(0.0 <= r["recall@2"] <= 1.0 for r in rows if r["kind"] == "milvus dense")
