"""A complete ``eval bench`` result, made up, for the report and peer tests (no model)."""

from eval.bench_peer import compare


def fake_results() -> dict:
    stage = lambda p50, p95: {"n": 3, "p50": p50, "p95": p95, "mean": p50}
    block = {
        "n": 2,
        "retrieval": {"n": 2, "hit@1": 0.5, "hit@3": 1.0, "hit@5": 1.0, "hit@10": 1.0, "mrr@10": 0.75},
        "answer": {
            "n_answerable": 2,
            "em": 0.5,
            "f1": 0.8,
            "contained": 1.0,
            "refusal": {"n_unanswerable": 0, "n_refused": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0},
            "latency_ms": {"p50": 20.0, "p95": 30.0},
        },
    }
    unanswerable = {
        "n": 1,
        "retrieval": {"n": 0},
        "answer": {"refusal": {"n_unanswerable": 1, "n_refused": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}},
    }
    return {
        "machine": {
            "cpus": 2,
            "cpu_model": "Test CPU",
            "platform": "Linux-test",
            "python": "3.11.7",
            "date": "2026-01-01T00:00:00",
            "loadavg": [0.5, 0.5, 0.5],
            "loadavg_end": [1.75, 0.9, 0.6],
            "torch_threads": 2,
        },
        "config": {
            "qa": "qa.jsonl",
            "questions": 3,
            "quick": True,
            "modes": ["extractive", "generative"],
            "sizes": [1, 10],
        },
        "build": {
            "model_load_s": 2.0,
            "seconds": 10.0,
            "embed_s": 9.0,
            "chunks": 183,
            "documents": 1,
            "index_load_s": 0.1,
            "chunks_per_s": 18.3,
        },
        "latency": {
            "extractive": {
                "stages": {
                    "rewrite": stage(0.01, 0.02),
                    "normalize": stage(0.1, 0.2),
                    "embed": stage(20.0, 30.0),
                    "search": stage(1.2, 2.3),
                    "evidence": stage(0.5, 0.9),
                    "read": stage(5.0, 9.0),
                },
                "end_to_end": stage(27.0, 40.0),
                "errors": 0,
            },
            "generative": {
                "stages": {
                    "embed": stage(20.0, 30.0),
                    "read": stage(5.0, 9.0),
                    "prefill": stage(2400.0, 3000.0),
                    "decode": stage(600.0, 1000.0),
                },
                "end_to_end": stage(3030.0, 4050.0),
                "errors": 0,
                "timing_source": "answer",
                "speed": {
                    "paths": {
                        "generator": {"n": 2, "share": 0.6667, "n_answerable": 2, "f1": 0.75, "n_unanswerable": 0},
                        "refused": {"n": 1, "share": 0.3333, "n_answerable": 0, "f1": None, "n_unanswerable": 1},
                    },
                    "f1": 0.75,
                    "accuracy_per_s": 0.25,
                    "first_draft_ms": stage(45.0, 60.0),
                    "first_token_ms": stage(2500.0, 3100.0),
                    "first_visible_ms": stage(45.0, 60.0),
                    "prompt_tokens": stage(410.0, 520.0),
                    "extra_prompts": 0,
                },
            },
        },
        "memory": {
            "without_generator": {"rss_mb": 900.0, "peak_mb": 1000.0},
            "with_generator": {"rss_mb": 2000.0, "peak_mb": 2100.0},
            "after_generative": {"rss_mb": 2010.0, "peak_mb": 2150.0},
            "target_mb": 3072,
            "generator_load_s": 1.2,
            "generator_error": None,
            "end_of_run": {"rss_mb": 2050.0, "peak_mb": 2200.0},
        },
        "growth": {
            "queries": 3,
            "k": 10,
            "candidates": 50,
            "noise": 0.3,
            "repeats": 1,
            "rows": [
                {
                    "factor": 1,
                    "vectors": 183,
                    "kind": "flat",
                    "build_s": 0.0,
                    "n": 3,
                    "p50": 0.02,
                    "p95": 0.05,
                    "recall@10": 1.0,
                },
                {
                    "factor": 1,
                    "vectors": 183,
                    "kind": "hnsw",
                    "build_s": 0.1,
                    "n": 3,
                    "p50": 0.04,
                    "p95": 0.06,
                    "recall@10": 1.0,
                },
                {
                    "factor": 10,
                    "vectors": 1830,
                    "kind": "flat",
                    "build_s": 0.0,
                    "n": 3,
                    "p50": 0.1,
                    "p95": 0.2,
                    "recall@10": 1.0,
                },
                {
                    "factor": 10,
                    "vectors": 1830,
                    "kind": "hnsw",
                    "build_s": 0.3,
                    "n": 3,
                    "p50": 0.08,
                    "p95": 0.1,
                    "recall@10": 0.95,
                },
                {"factor": 1, "vectors": 183, "kind": "bm25", "build_s": 0.0, "n": 3, "p50": 0.2, "p95": 0.3},
                {
                    "factor": 10,
                    "vectors": 1830,
                    "kind": "milvus dense",
                    "build_s": 4.5,
                    "n": 3,
                    "p50": 6.0,
                    "p95": 9.0,
                    "recall@10": 0.9,
                },
                {
                    "factor": 10,
                    "vectors": 1830,
                    "kind": "milvus hybrid",
                    "build_s": 4.5,
                    "n": 3,
                    "p50": 12.0,
                    "p95": 20.0,
                    "recall@10": None,
                },
                {"factor": 10, "vectors": 1830, "kind": "bm25", "build_s": 0.1, "n": 3, "p50": 0.5, "p95": 0.7},
            ],
        },
        "quality": {
            mode: {
                "predictions": f"preds_{mode}.jsonl",
                "table": f"TABLE-{mode}",
                "score": {"overall": block, "by_type": {"number": block, "unanswerable": unanswerable}},
            }
            for mode in ("extractive", "generative")
        },
        "plots": {
            "stages": "latency_by_stage.png",
            "growth": "latency_vs_corpus_size.png",
            "accuracy": "accuracy_by_type.png",
        },
        "peer": {
            "python": "/peer/bin/python",
            "script": "/shared/bench/peer_langchain.py",
            "wall_s": 80.0,
            "predictions": "preds_peer.jsonl",
            "summary": {"chunks": 105, "peak_rss_mb": 2836.4},
            "latency": stage(12000.0, 14000.0),
            "table": "TABLE-peer",
            "comparison": compare(
                stage(3030.0, 4050.0), {"overall": block}, stage(12000.0, 14000.0), {"overall": block}
            ),
        },
        "kernels": {
            "cache": "/cache/qa-llama-wheels",
            "version": "0.3.36",
            "installed": "avx512",
            "cpu_key": "23015ec3bb3c",
            "prompt_tokens": 350,
            "decode_tokens": 32,
            "threads": 2,
            "variants": [
                {
                    "variant": "avx2",
                    "cpu_key": "23015ec3bb3c",
                    "this_cpu": True,
                    "prompt_tps": 60.5,
                    "decode_tps": 9.25,
                    "load_s": 1.1,
                    "runs": 3,
                    "status": "ok",
                },
                {
                    "variant": "avx512-amx",
                    "cpu_key": "23015ec3bb3c",
                    "this_cpu": True,
                    "prompt_tps": None,
                    "decode_tps": None,
                    "load_s": None,
                    "runs": 1,
                    "status": "does not run here (SIGILL)",
                },
            ],
        },  # fmt: skip
        "load": {
            "users": 10,
            "generative_share": 0.3,
            "seconds_asked": 60.0,
            "seconds": 61.2,
            "requests": 40,
            "errors": 1,
            "throughput_rps": 0.65,
            "p50_ms": 900.0,
            "p95_ms": 9000.0,
            "by_mode": {
                "extractive": {"requests": 28, "p50_ms": 700.0, "p95_ms": 2000.0},
                "generative": {"requests": 12, "p50_ms": 8000.0, "p95_ms": 12000.0},
            },
            "error_samples": ["TimeoutError: slow"],
        },
    }
