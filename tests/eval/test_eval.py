import json
import os
import subprocess
import sys

import pytest

from eval.metrics import evidence_rank, retrieval_metrics, score
from tests.conftest import FIXTURE_CORPUS, FIXTURE_QA, MODEL_DIR, ROOT


def test_evidence_rank_ignores_whitespace():
    sources = [{"text": "别的内容"}, {"text": "新建乡村图书馆 37 座,"}]
    assert evidence_rank("图书馆37座", sources) == 2
    assert evidence_rank("没有", sources) is None
    assert evidence_rank("", sources) is None


def test_retrieval_metrics_skip_unanswerable():
    pairs = [
        ({"evidence": "甲"}, {"sources": [{"text": "乙"}, {"text": "甲"}]}),
        ({"evidence": "丙"}, {"sources": [{"text": "丙"}]}),
        ({"evidence": ""}, {"sources": []}),
    ]
    m = retrieval_metrics(pairs)
    assert m["n"] == 2 and m["hit@1"] == 0.5 and m["hit@3"] == 1.0 and m["mrr@10"] == 0.75


def test_score_requires_every_prediction():
    with pytest.raises(ValueError, match="no prediction"):
        score([{"id": "a", "evidence": "x"}], [])


def _run(*args, env):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.model
def test_cli_index_search_predict_score(tmp_path):
    """The CLI over invented documents: index, search, predict (with a follow-up), score."""
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(tmp_path / "index"),
        "QA_CORPUS_DIR": str(FIXTURE_CORPUS),
        "QA_MODEL_DIR": str(MODEL_DIR),
    }
    built = _run("-m", "qa", "index", env=env)
    assert built.returncode == 0 and "索引完成" in built.stdout, built.stderr
    found = _run("-m", "qa", "search", "今年修多少公里农村公路", "-k", "3", "--json", env=env)
    result = json.loads(found.stdout)
    assert result["rewritten"].startswith("2030年") and len(result["hits"]) == 3
    assert any("农村公路96公里" in h["text"] for h in result["hits"])
    empty = _run("-m", "qa", "search", "   ", env=env)
    assert empty.returncode == 2 and "问题是空的" in empty.stderr and "Traceback" not in empty.stderr

    preds = tmp_path / "preds.jsonl"
    predicted = _run(
        "-m", "eval", "predict", "--qa", str(FIXTURE_QA), "--out", str(preds), "--mode", "extractive", env=env
    )
    assert predicted.returncode == 0, predicted.stderr
    rows = {r["id"]: r for r in map(json.loads, preds.read_text(encoding="utf-8").splitlines())}
    assert len(rows) == 6 and all(len(r["sources"]) >= 6 for r in rows.values())
    assert set(rows["f1"]) >= {"id", "question", "answer", "reply", "refused", "sources", "latency_ms"}
    assert "社区食堂" in rows["f6"]["rewritten"]  # the follow-up used its history
    scored = _run("-m", "eval", "score", "--qa", str(FIXTURE_QA), "--pred", str(preds), "--json", env=env)
    overall = json.loads(scored.stdout)["overall"]
    assert overall["retrieval"]["hit@5"] == 1.0 and overall["answer"]["f1"] >= 0.6
