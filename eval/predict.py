"""Run the pipeline over a QA file and write one JSON line of predictions per question."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from eval.metrics import read_jsonl
from qa.search.normalize import QuestionError

MIN_SOURCES = 10


def predict_retrieve(pipeline, question: str, k: int, retrieval: str) -> dict:
    result = pipeline.retrieve(question, k=max(k, MIN_SOURCES), mode=retrieval)
    return {
        "answer": None,
        "reply": "",
        "refused": False,
        "rewritten": result.rewritten,
        "sources": [h.to_dict() for h in result.hits],
        "timings_ms": result.timings,
    }


def predict_answer(pipeline, question: str, k: int, mode: str, history=None) -> dict:
    result = pipeline.ask(question, history=history, mode=mode, k=max(k, MIN_SOURCES)).to_dict()
    return {
        key: result[key]
        for key in ("answer", "reply", "refused", "rewritten", "sources", "citations", "timings_ms", "note")
    }


def run(
    pipeline, qa_path: Path, out_path: Path, mode: str = "retrieve", k: int = MIN_SOURCES, retrieval: str = "hybrid"
) -> int:
    """Write predictions for every question in ``qa_path``; returns the number written."""
    rows = read_jsonl(qa_path)
    pipeline.warm_up()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in tqdm(rows, desc=f"predict ({mode})", file=sys.stderr, disable=not sys.stderr.isatty()):
            started = time.perf_counter()
            try:
                if mode == "retrieve":
                    record = predict_retrieve(pipeline, row["question"], k, retrieval)
                else:
                    record = predict_answer(pipeline, row["question"], k, mode, row.get("history"))
            except QuestionError as exc:
                record = {"answer": None, "reply": str(exc), "refused": True, "sources": []}
            record = {
                "id": row["id"],
                "question": row["question"],
                **record,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(out_path)
    return len(rows)
