"""Fast tests of ``eval bench``'s pure parts: no model, no wall-clock assertions."""
import numpy as np
import pytest

from eval.bench import pick_questions
from eval.scaling import dense_growth, percentile, recall_at_k, replicate, summarize
from eval.bench_plots import read_results, render_report, write_all, write_plots, write_results


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
        (1, "flat", 40), (1, "hnsw", 40), (2, "flat", 80), (2, "hnsw", 80)]
    assert all(r["recall@10"] == 1.0 for r in rows if r["kind"] == "flat")
    assert all(0.0 <= r["recall@10"] <= 1.0 and r["p50"] is not None for r in rows)
    only_flat = dense_growth(vectors, queries, [1], kinds=("flat",), repeats=1)
    assert only_flat[0]["recall@10"] == 1.0


def test_pick_questions_round_robin_over_types():
    rows = [{"id": i, "type": t} for i, t in enumerate(["a", "a", "a", "b", "c", "c"])]
    assert [r["id"] for r in pick_questions(rows, 4)] == [0, 3, 4, 1]
    assert pick_questions(rows, None) == rows and pick_questions(rows, 99) == rows


def fake_results() -> dict:
    stage = lambda p50, p95: {"n": 3, "p50": p50, "p95": p95, "mean": p50}  # noqa: E731
    block = {"n": 2, "retrieval": {"n": 2, "hit@1": 0.5, "hit@3": 1.0, "hit@5": 1.0, "hit@10": 1.0, "mrr@10": 0.75},
             "answer": {"n_answerable": 2, "em": 0.5, "f1": 0.8, "contained": 1.0,
                        "refusal": {"n_unanswerable": 0, "n_refused": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0},
                        "latency_ms": {"p50": 20.0, "p95": 30.0}}}
    unanswerable = {"n": 1, "retrieval": {"n": 0}, "answer": {
        "refusal": {"n_unanswerable": 1, "n_refused": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}}}
    return {
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "platform": "Linux-test", "python": "3.11.7",
                    "date": "2026-01-01T00:00:00", "loadavg": [0.5, 0.5, 0.5], "torch_threads": 2},
        "config": {"qa": "qa.jsonl", "questions": 3, "quick": True, "modes": ["extractive", "generative"],
                   "sizes": [1, 10]},
        "build": {"model_load_s": 2.0, "seconds": 10.0, "embed_s": 9.0, "chunks": 183, "documents": 1,
                  "index_load_s": 0.1, "chunks_per_s": 18.3},
        "latency": {
            "extractive": {"stages": {"normalize": stage(0.1, 0.2), "embed": stage(20.0, 30.0),
                                      "dense_search": stage(0.2, 0.3), "lexical_search": stage(1.0, 2.0),
                                      "fuse": stage(0.1, 0.1), "read": stage(5.0, 9.0)},
                           "end_to_end": stage(27.0, 40.0), "errors": 0},
            "generative": {"stages": {"embed": stage(20.0, 30.0), "read": stage(5.0, 9.0),
                                      "generate": stage(3000.0, 4000.0), "prefill": stage(2400.0, 3000.0),
                                      "decode": stage(600.0, 1000.0)},
                           "end_to_end": stage(3030.0, 4050.0), "errors": 0, "timing_source": "answer"}},
        "memory": {"without_generator": {"rss_mb": 900.0, "peak_mb": 1000.0},
                   "with_generator": {"rss_mb": 2000.0, "peak_mb": 2100.0}, "generator_load_s": 1.2,
                   "generator_error": None, "end_of_run": {"rss_mb": 2050.0, "peak_mb": 2200.0}},
        "growth": {"queries": 3, "k": 10, "candidates": 50, "noise": 0.3, "repeats": 1, "rows": [
            {"factor": 1, "vectors": 183, "kind": "flat", "build_s": 0.0, "n": 3, "p50": 0.02, "p95": 0.05,
             "recall@10": 1.0},
            {"factor": 1, "vectors": 183, "kind": "hnsw", "build_s": 0.1, "n": 3, "p50": 0.04, "p95": 0.06,
             "recall@10": 1.0},
            {"factor": 10, "vectors": 1830, "kind": "flat", "build_s": 0.0, "n": 3, "p50": 0.1, "p95": 0.2,
             "recall@10": 1.0},
            {"factor": 10, "vectors": 1830, "kind": "hnsw", "build_s": 0.3, "n": 3, "p50": 0.08, "p95": 0.1,
             "recall@10": 0.95},
            {"factor": 1, "vectors": 183, "kind": "bm25", "build_s": 0.0, "n": 3, "p50": 0.2, "p95": 0.3},
            {"factor": 10, "vectors": 1830, "kind": "bm25", "build_s": 0.1, "n": 3, "p50": 0.5, "p95": 0.7}]},
        "quality": {mode: {"predictions": f"preds_{mode}.jsonl", "table": f"TABLE-{mode}",
                           "score": {"overall": block, "by_type": {"number": block, "unanswerable": unanswerable}}}
                    for mode in ("extractive", "generative")},
        "plots": {"stages": "latency_by_stage.png", "growth": "latency_vs_corpus_size.png",
                  "accuracy": "accuracy_by_type.png"},
    }


def test_report_has_tables_images_and_dominance():
    report = render_report(fake_results())
    assert report.startswith("# Benchmark report") and "2 CPU (Test CPU)" in report
    assert "| stage | extractive p50 ms | extractive p95 ms | generative p50 ms | generative p95 ms |" in report
    assert "| embed query | 20.00 | 30.00 | 20.00 | 30.00 |" in report
    assert "| 10x | 1,830 | hnsw | 0.30 | 0.080 | 0.100 | 0.950 |" in report
    assert "| after loading the generator | 2,000.0 | 2,100.0 |" in report
    assert "```\nTABLE-extractive\n```" in report and "TABLE-generative" in report
    for image in ("latency_by_stage.png", "latency_vs_corpus_size.png", "accuracy_by_type.png"):
        assert f"]({image})" in report
    assert "generation prefill is 79% and decode 20% of generative latency" in report
    assert "embedding the passages took 90% of the 10.0 s build" in report
    assert "hnsw recall@10 0.950" in report


def test_report_without_optional_sections():
    results = fake_results()
    for key in ("latency", "growth", "quality", "plots", "memory", "build"):
        results.pop(key)
    report = render_report(results)
    assert "No latency numbers." in report and "![" not in report


def test_results_json_round_trips(tmp_path):
    results = fake_results()
    write_results(results, tmp_path / "bench.json")
    assert read_results(tmp_path / "bench.json") == results


def test_write_all_writes_plots_report_and_json(tmp_path):
    results = fake_results()
    del results["plots"]
    paths = write_all(results, tmp_path)
    assert set(paths) == {"report", "json", "stages", "growth", "accuracy"}
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert read_results(paths["json"])["plots"]["stages"] == "latency_by_stage.png"
    assert "](latency_by_stage.png)" in paths["report"].read_text(encoding="utf-8")
    assert write_plots({"machine": results["machine"]}, tmp_path / "empty") == {}

