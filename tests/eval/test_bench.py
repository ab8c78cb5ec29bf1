"""The benchmark's pure helpers, report and command line (no model)."""

import json
from pathlib import Path

from eval import bench_peer
from eval.bench import pick_questions
from eval.bench_peer import compare
from eval.bench_plots import read_results, render_report, write_all, write_plots, write_results


def test_pick_questions_round_robin_over_types():
    rows = [{"id": i, "type": t} for i, t in enumerate(["a", "a", "a", "b", "c", "c"])]
    assert [r["id"] for r in pick_questions(rows, 4)] == [0, 3, 4, 1]
    assert pick_questions(rows, None) == rows and pick_questions(rows, 99) == rows


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


def test_report_has_tables_images_and_dominance():
    report = render_report(fake_results())
    assert report.startswith("# Benchmark report") and "2 CPU cores (Test CPU)" in report
    assert "at the start [0.5, 0.5, 0.5], at the end [1.75, 0.9, 0.6]" in report
    assert "one run on a shared machine" in report
    assert "| stage | extractive p50 ms | extractive p95 ms | generative p50 ms | generative p95 ms |" in report
    assert "| embed query | 20.00 | 30.00 | 20.00 | 30.00 |" in report
    assert "| 10x | 1,830 | hnsw | 0.30 | 0.080 | 0.100 | 0.950 |" in report
    assert "| after loading the generator | 2,000.0 | 2,100.0 |" in report
    assert "```\nTABLE-extractive\n```" in report and "TABLE-generative" in report
    for image in ("latency_by_stage.png", "latency_vs_corpus_size.png", "accuracy_by_type.png"):
        assert f"]({image})" in report
    assert "generation prefill is 79% and decode 20% of generative latency" in report
    results = fake_results()
    results["latency"]["generative"]["generated_end_to_end"] = {"n": 2, "p50": 4000.0, "p95": 5000.0, "mean": 4e3}
    assert "the 2 the generator wrote take 4,000.0 ms, of which prefill is 60% and decode 15%" in render_report(results)
    assert "embedding the passages took 90% of the 10.0 s build" in report
    assert "hnsw recall@10 0.950" in report


def test_report_without_optional_sections():
    results = fake_results()
    for key in ("latency", "growth", "quality", "plots", "memory", "build", "peer", "kernels", "load"):
        results.pop(key)
    report = render_report(results)
    assert "No latency numbers." in report and "![" not in report
    for heading in ("## The LangChain peer", "## llama.cpp kernel variants", "## Mixed load", "## Which path"):
        assert heading not in report


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


def test_report_sections_for_paths_speed_peer_memory_kernels_load():
    report = render_report(fake_results())
    assert "| generator | 2 | 67% | 2 | 0.750 | 0 |" in report
    assert "| refused | 1 | 33% | 0 | – | 1 |" in report
    assert "| generative | 45 / 60 (n=3) | 2,500 / 3,100 (n=3) | 45 / 60 (n=3) | 410 / 410 (n=3) | 0.750 | 0.250 |" in (
        report
    )
    assert (
        "**Project generative p50 / peer p50 = 0.25** (target ≤ 0.5) (meets it); p95 4,050 ms vs 14,000 ms." in report
    )
    assert "| peer | 12,000 | 14,000 | 0.500 | 1.000 | 0.800 |" in report and "TABLE-peer" in report
    assert "**Peak RSS with the generator loaded: 2,150 MiB, within the 3 GiB (3,072 MiB) target**" in report
    assert "| after the generative answers | 2,010.0 | 2,150.0 |" in report
    assert "| 10x | 1,830 | milvus dense | 4.50 | 6.000 | 9.000 | 0.900 |" in report
    assert "Installed variant (`.venv/llama-kernels`): **avx512**" in report
    assert "| avx2 | 23015ec3bb3c (this CPU) | 60.5 | 9.2 | 1.10 | 3 | ok |" in report
    assert "does not run here (SIGILL)" in report
    assert (
        "| generative | 12 | 8,000 | 12,000 |" in report and "40 requests in 61.2 s" in report and "1 errors" in report
    )


def test_report_memory_over_target_and_peer_error():
    results = fake_results()
    results["memory"]["after_generative"]["peak_mb"] = 3500.0
    results["peer"] = {"python": "p", "script": "s", "error": "peer python p not found"}
    report = render_report(results)
    assert "**Peak RSS with the generator loaded: 3,500 MiB, over the 3 GiB (3,072 MiB) target**" in report
    assert "The peer did not run: peer python p not found" in report and "peer p50 =" not in report


# ---------------------------------------------------------------- the command line


def test_bench_command_line_options(monkeypatch, tmp_path):
    import eval.bench
    import eval.bench_plots
    from eval.__main__ import main

    seen = []
    monkeypatch.setattr(eval.bench, "run_bench", lambda options: seen.append(options) or {"machine": {}})
    monkeypatch.setattr(eval.bench_plots, "write_all", lambda results, out: {})
    qa = tmp_path / "qa.jsonl"
    assert main(["bench", "--qa", str(qa), "--quick", "--modes", "extractive,generative", "--peer"]) == 0
    assert seen[-1].peer_python == bench_peer.DEFAULT_PEER_PYTHON and seen[-1].kernels is False
    assert seen[-1].milvus is True and seen[-1].load_seconds is None and seen[-1].peer_script is None
    assert main(["bench", "--qa", str(qa), "--peer", "/p/python", "--peer-script", "/s.py", "--no-milvus",
                 "--load-seconds", "30", "--wheel-cache", "/w"]) == 0  # fmt: skip
    options = seen[-1]
    assert options.peer_python == Path("/p/python") and options.peer_script == Path("/s.py")
    assert options.kernels is True and options.milvus is False and options.load_seconds == 30.0
    assert options.wheel_cache == Path("/w") and options.modes == ("extractive", "generative")
    assert main(["bench", "--qa", str(qa), "--quick", "--kernels"]) == 0 and seen[-1].kernels is True
    assert main(["bench", "--qa", str(qa), "--quick", "--peer"]) == 2  # the peer needs a generative run
    assert len(seen) == 3


def test_results_with_new_sections_round_trip(tmp_path):
    results = fake_results()
    write_results(results, tmp_path / "bench.json")
    assert (
        json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["peer"]["comparison"]["ratio_p50"] == 0.2525
    )


def test_measure_load_launches_an_unlimited_server_with_the_bench_index(monkeypatch, tmp_path):
    import contextlib

    import eval.load
    import ui.launcher
    from eval.bench import measure_load
    from eval.load import LoadResult
    from qa.settings import Settings

    launched = {}

    @contextlib.contextmanager
    def fake_server(env, log_path, timeout_s=600, extra_args=()):
        launched.update(env=env, args=list(extra_args))
        yield "http://127.0.0.1:9/"

    def fake_run_load(url, questions, users=20, seconds=120, mode="extractive", max_requests=10_000,
                      generative_share=0.0):  # fmt: skip
        launched.update(url=url, users=users, seconds=seconds, mode=mode, share=generative_share)
        result = LoadResult(users=users, seconds=seconds, requests=3)
        result.latencies_ms = [100.0, 200.0, 300.0]
        result.by_mode = {"extractive": [100.0, 200.0], "generative": [300.0]}
        return result

    monkeypatch.setattr(ui.launcher, "running_server", fake_server)
    monkeypatch.setattr(eval.load, "run_load", fake_run_load)
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    out = measure_load(settings, ["q1", "q2"], 12.0)
    assert launched["env"] == {"QA_UI_RATE_PER_MINUTE": "0"}
    assert launched["args"][:4] == ["--corpus", str(tmp_path / "corpus"), "--index-dir", str(tmp_path / "index")]
    assert (launched["users"], launched["seconds"], launched["mode"], launched["share"]) == (
        10,
        12.0,
        "extractive",
        0.3,
    )
    assert out["generative_share"] == 0.3 and out["seconds_asked"] == 12.0 and out["requests"] == 3
    assert out["by_mode"]["generative"]["requests"] == 1 and out["p50_ms"] == 200.0

    @contextlib.contextmanager
    def broken_server(env, log_path, timeout_s=600, extra_args=()):
        raise RuntimeError("ui server exited early: port taken")
        yield

    monkeypatch.setattr(ui.launcher, "running_server", broken_server)
    assert measure_load(settings, ["q"], 5.0)["error"] == "ui server exited early: port taken"
