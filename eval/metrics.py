"""Metrics over a QA file and a predictions file (both JSONL, joined on ``id``).

Retrieval: a question's evidence is found at rank r when the gold ``evidence``
string (whitespace removed) lies inside the r-th source's text (whitespace removed).
hit@k and MRR@10 are computed over answerable questions (non-empty evidence).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

RETRIEVAL_KS = (1, 3, 5, 10)


def read_jsonl(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: not valid JSON ({exc})") from exc
    return rows


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def evidence_rank(evidence: str, sources: list[dict]) -> int | None:
    """1-based rank of the first source containing the evidence, or None."""
    needle = squash(evidence)
    for rank, source in enumerate(sources, start=1):
        if needle and needle in squash(source.get("text", "")):
            return rank
    return None


def retrieval_metrics(pairs: list[tuple[dict, dict]]) -> dict:
    answerable = [(q, p) for q, p in pairs if q.get("evidence")]
    n = len(answerable)
    if not n:
        return {"n": 0}
    ranks = [evidence_rank(q["evidence"], p.get("sources", [])) for q, p in answerable]
    out = {"n": n}
    for k in RETRIEVAL_KS:
        out[f"hit@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    out["mrr@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return out


def join(qa_rows: list[dict], predictions: list[dict]) -> list[tuple[dict, dict]]:
    by_id = {p["id"]: p for p in predictions}
    missing = [q["id"] for q in qa_rows if q["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} questions have no prediction (first: {missing[0]}); "
                         "run `python -m eval predict` on the same QA file")
    return [(q, by_id[q["id"]]) for q in qa_rows]


def score(qa_rows: list[dict], predictions: list[dict]) -> dict:
    """All metrics, overall and by question type."""
    pairs = join(qa_rows, predictions)
    by_type: dict[str, list] = defaultdict(list)
    for q, p in pairs:
        by_type[q.get("type", "unknown")].append((q, p))
    return {
        "overall": {"n": len(pairs), "retrieval": retrieval_metrics(pairs)},
        "by_type": {t: {"n": len(v), "retrieval": retrieval_metrics(v)} for t, v in sorted(by_type.items())},
    }


def format_table(result: dict) -> str:
    """A plain-text table: one row per question type plus the overall row."""
    columns = [f"hit@{k}" for k in (1, 3, 5)] + ["mrr@10"]
    lines = [f"{'type':<16}{'n':>4}{'n_ans':>7}" + "".join(f"{c:>9}" for c in columns)]

    def row(name: str, block: dict) -> str:
        r = block["retrieval"]
        cells = "".join(f"{r[c]:>9.3f}" if c in r else f"{'-':>9}" for c in columns)
        return f"{name:<16}{block['n']:>4}{r.get('n', 0):>7}{cells}"

    for name, block in result["by_type"].items():
        lines.append(row(name, block))
    lines.append(row("ALL", result["overall"]))
    return "\n".join(lines)
