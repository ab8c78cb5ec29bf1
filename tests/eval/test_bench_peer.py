"""Running and reading the peer (a plain LangChain RAG): eval/bench_peer.py, with a fake peer."""

import json
from pathlib import Path

import pytest

from eval import bench_peer
from eval.bench_peer import compare, parse_predictions, parse_summary, peer_docs, speed_ratio
from tests.eval.bench_results import fake_results


def test_peer_predictions_and_summary_parsing():
    text = '{"id": "p1", "answer": "7%", "latency_ms": 1200.5}\n\n{"id": "p2", "answer": "x", "latency_ms": 800}\n'
    rows = parse_predictions(text)
    assert [r["latency_ms"] for r in rows] == [1200.5, 800]
    with pytest.raises(ValueError, match="line 2"):
        parse_predictions('{"latency_ms": 1}\n{"id": "p2"}\n')
    with pytest.raises(ValueError, match="line 1"):
        parse_predictions("not json\n")
    stdout = 'loading\n{"questions": 2, "p50_ms": 13692.9}\n'
    assert parse_summary(stdout) == {"questions": 2, "p50_ms": 13692.9}
    assert parse_summary("no json here\n{broken") == {}


def test_speed_ratio_and_compare():
    assert speed_ratio(3000.0, 12000.0) == 0.25
    assert speed_ratio(None, 100.0) is None and speed_ratio(100.0, 0.0) is None and speed_ratio(1.0, None) is None
    score = lambda hit1, contained, f1: {
        "overall": {"retrieval": {"hit@1": hit1}, "answer": {"contained": contained, "f1": f1}}
    }
    out = compare({"p50": 6000.0, "p95": 9000.0}, score(0.9, 0.8, 0.7), {"p50": 10000.0, "p95": 15000.0}, None)
    assert out["ratio_p50"] == 0.6 and out["meets_target"] is False and out["target"] == 0.5
    assert out["project"] == {"p50": 6000.0, "p95": 9000.0, "hit@1": 0.9, "contained": 0.8, "f1": 0.7}
    assert out["peer"]["hit@1"] is None and out["peer"]["p95"] == 15000.0
    assert compare({"p50": 1.0}, None, {"p50": 4.0}, None)["meets_target"] is True
    assert compare({"p50": 2.0}, None, {"p50": 4.0}, None)["meets_target"] is True  # at the target
    assert compare({"p50": None}, None, {"p50": 4.0}, None)["meets_target"] is None


def test_finish_adds_the_comparison_after_the_quality_runs():
    results = fake_results()
    del results["peer"]["comparison"]
    results["peer"]["score"] = {"overall": {"retrieval": {"hit@1": 0.4}, "answer": {"contained": 0.6, "f1": 0.3}}}
    results["peer"]["accuracy_per_s"] = 0.02
    message = bench_peer.finish(results)
    comparison = results["peer"]["comparison"]
    assert comparison["ratio_p50"] == 0.2525 and comparison["meets_target"] is True
    assert comparison["peer"]["hit@1"] == 0.4 and comparison["project"]["hit@1"] == 0.5
    assert comparison["project"]["accuracy_per_s"] == 0.25 and comparison["peer"]["accuracy_per_s"] == 0.02
    assert "3,030 ms / peer p50 12,000 ms = 0.25" in message and "p95 4,050 vs 14,000 ms" in message
    failed = {"latency": {}, "quality": {}, "peer": {"error": "boom"}}
    assert bench_peer.finish(failed) == "bench: the peer did not run: boom" and "comparison" not in failed["peer"]


def test_peer_docs_lists_the_folders_holding_txt(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "laws" / "sub").mkdir(parents=True)
    (tmp_path / "laws" / "b.txt").write_text("x", encoding="utf-8")
    (tmp_path / "laws" / "sub" / "c.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    assert peer_docs(tmp_path) == [tmp_path, tmp_path / "laws", tmp_path / "laws" / "sub"]


FAKE_PEER = """
import argparse, json
ap = argparse.ArgumentParser()
for name in ("--qa", "--out", "--embed", "--gguf"):
    ap.add_argument(name)
ap.add_argument("--docs", nargs="+")
args = ap.parse_args()
rows = [json.loads(line) for line in open(args.qa, encoding="utf-8")]
with open(args.out, "w", encoding="utf-8") as out:
    for i, row in enumerate(rows):
        out.write(json.dumps({"id": row["id"], "answer": "7.2%" if i == 0 else "不知道", "reply": "", "refused": False,
                              "sources": [{"text": "增长7.2%"}], "latency_ms": 1000.0 * (i + 1)}) + "\\n")
print("loading")
import time; big = bytearray(64 << 20); time.sleep(0.5)
print(json.dumps({"questions": len(rows), "chunks": 3, "docs": args.docs, "peak_rss_mb": 99999.0}))
"""


def test_run_peer_with_a_fake_peer(tmp_path):
    import sys

    script = tmp_path / "peer.py"
    script.write_text(FAKE_PEER, encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    rows = [{"id": "a", "question": "q1", "answers": ["7.2%"], "evidence": "增长7.2%"},
            {"id": "b", "question": "q2", "answers": ["9个"], "evidence": "没有"}]  # fmt: skip
    qa.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "laws").mkdir(parents=True)
    (corpus / "laws" / "x.txt").write_text("x", encoding="utf-8")
    out = bench_peer.run_peer(Path(sys.executable), script, qa, corpus, tmp_path, tmp_path / "m.gguf", tmp_path, 60)
    assert "error" not in out, out.get("error")
    assert out["latency"]["n"] == 2 and out["latency"]["p50"] == 1500.0
    assert out["summary"]["docs"] == [str(corpus), str(corpus / "laws")]
    assert 64 < out["peak_rss_mb"] < 99999.0  # its own high-water mark, not what it printed
    overall = out["score"]["overall"]
    assert overall["retrieval"]["hit@1"] == 0.5 and overall["answer"]["f1"] == 0.5
    assert (tmp_path / "preds_peer.jsonl").is_file() and "loading" in (tmp_path / "peer.log").read_text()
    failing = tmp_path / "fail.py"
    failing.write_text("import sys; sys.exit('bad arguments')", encoding="utf-8")
    out = bench_peer.run_peer(Path(sys.executable), failing, qa, corpus, tmp_path, tmp_path, tmp_path, 60)
    assert out["error"].startswith("peer exited with 1") and "bad arguments" in out["error"]


def test_parse_vm_hwm():
    assert bench_peer.parse_vm_hwm("Name:\tpython\nVmPeak:\t 900 kB\nVmHWM:\t  524288 kB\n") == 524288
    assert bench_peer.parse_vm_hwm("Name:\tzombie\n") is None


def test_run_peer_reports_a_missing_python(tmp_path):
    out = bench_peer.run_peer(tmp_path / "nope", tmp_path / "peer.py", tmp_path, tmp_path, tmp_path, tmp_path, tmp_path)
    assert out["error"].startswith("peer python") and "latency" not in out
