"""The benchmark's pure helpers, report and command line (no model)."""

import json
from pathlib import Path

from eval import bench_peer
from eval.bench import pick_questions
from eval.bench_plots import read_results, render_report, write_all, write_plots, write_results
from tests.eval.bench_results import fake_results


def test_pick_questions_round_robin_over_types():
    rows = [{"id": i, "type": t} for i, t in enumerate(["a", "a", "a", "b", "c", "c"])]
    assert [r["id"] for r in pick_questions(rows, 4)] == [0, 3, 4, 1]
    assert pick_questions(rows, None) == rows and pick_questions(rows, 99) == rows


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
