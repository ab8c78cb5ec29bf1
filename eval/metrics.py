"""Metrics over a QA file and a predictions file (both JSONL, joined on ``id``).

Retrieval: a question's evidence is found at rank r when the gold ``evidence``
string (whitespace removed) lies inside the r-th source's text (whitespace removed).
hit@k and MRR@10 are computed over answerable questions (non-empty evidence).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

from qa.text import longest_common_substring

RETRIEVAL_KS = (1, 3, 5, 10)
EVAL_INDEX_ROOT = Path(__file__).resolve().parent.parent / "data" / "index-eval"


def combined_corpus(folders: list[str | Path]) -> Path:
    """One corpus folder holding several (each as a subfolder, so its name is the documents'
    kind), made under ``data/index-eval/``; a single folder is returned as it is."""
    if len(folders) == 1:
        return Path(folders[0])
    import shutil

    key = hashlib.sha1("|".join(str(Path(f).resolve()) for f in folders).encode()).hexdigest()[:8]
    root = EVAL_INDEX_ROOT / f"combined-{key}" / "corpus"
    for folder in map(Path, folders):
        target = root / folder.resolve().name
        for source in sorted(folder.rglob("*")):
            if source.is_file() and not any(p.startswith(".") for p in source.relative_to(folder).parts):
                destination = target / source.relative_to(folder)
                destination.parent.mkdir(parents=True, exist_ok=True)
                if not destination.exists() or destination.read_bytes() != source.read_bytes():
                    shutil.copyfile(source, destination)
    return root


def eval_index_dir(corpus: str | Path) -> Path:
    """Where evaluation keeps the index of a corpus folder other than the default one."""
    resolved = str(Path(corpus).resolve())
    name = re.sub(r"[^\w.-]+", "-", Path(corpus).resolve().name)
    return EVAL_INDEX_ROOT / f"{name}-{hashlib.sha1(resolved.encode()).hexdigest()[:8]}"


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


PUNCTUATION = re.compile(r"[\s\u3000，。、；：？！“”‘’（）《》【】,.;:?!'\"()\[\]<>\-—…·]")


def normalize_answer(text: str) -> str:
    """CMRC 2018 style: lower-case, punctuation and spaces removed."""
    return PUNCTUATION.sub("", (text or "").lower())


def f1(prediction: str, gold: str) -> float:
    p, g = normalize_answer(prediction), normalize_answer(gold)
    common = longest_common_substring(p, g)[0]
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def answer_metrics(pairs: list[tuple[dict, dict]]) -> dict:
    """EM/F1/contained over answerable questions; refusal P/R/F1; latency percentiles."""
    out: dict = {}
    answerable = [(q, p) for q, p in pairs if q.get("answers")]
    if answerable:
        ems, f1s, contained = [], [], []
        for q, p in answerable:
            prediction = "" if p.get("refused") else (p.get("answer") or "")
            reply = "" if p.get("refused") else normalize_answer(p.get("reply") or "")
            ems.append(
                max(
                    float(normalize_answer(prediction) == normalize_answer(g) and bool(prediction))
                    for g in q["answers"]
                )
            )
            f1s.append(max(f1(prediction, g) for g in q["answers"]) if prediction else 0.0)
            contained.append(any(normalize_answer(g) and normalize_answer(g) in reply for g in q["answers"]))
        n = len(answerable)
        out.update({"n_answerable": n, "em": sum(ems) / n, "f1": sum(f1s) / n, "contained": sum(contained) / n})
    truth = [not q.get("answers") for q, _ in pairs]
    said = [bool(p.get("refused")) for _, p in pairs]
    tp = sum(t and s for t, s in zip(truth, said))
    precision = tp / sum(said) if sum(said) else 0.0
    recall = tp / sum(truth) if sum(truth) else 0.0
    out["refusal"] = {
        "n_unanswerable": sum(truth),
        "n_refused": sum(said),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    latencies = sorted(p.get("latency_ms", 0.0) for _, p in pairs)
    if latencies:
        out["latency_ms"] = {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)}
    return out


def percentile(values, q: float) -> float:
    """Linear-interpolated q-th percentile (0-100) of a non-empty sequence; ValueError if empty."""
    if not len(values):
        raise ValueError("percentile of no values")
    ordered = sorted(float(v) for v in values)
    index = (len(ordered) - 1) * q / 100
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def join(qa_rows: list[dict], predictions: list[dict]) -> list[tuple[dict, dict]]:
    by_id = {p["id"]: p for p in predictions}
    missing = [q["id"] for q in qa_rows if q["id"] not in by_id]
    if missing:
        raise ValueError(
            f"{len(missing)} questions have no prediction (first: {missing[0]}); "
            "run `python -m eval predict` on the same QA file"
        )
    return [(q, by_id[q["id"]]) for q in qa_rows]


def score(qa_rows: list[dict], predictions: list[dict]) -> dict:
    """All metrics, overall and by question type."""
    pairs = join(qa_rows, predictions)
    by_type: dict[str, list] = defaultdict(list)
    for q, p in pairs:
        by_type[q.get("type", "unknown")].append((q, p))

    def block(group):
        return {"n": len(group), "retrieval": retrieval_metrics(group), "answer": answer_metrics(group)}

    return {"overall": block(pairs), "by_type": {t: block(v) for t, v in sorted(by_type.items())}}


def format_table(result: dict) -> str:
    """A plain-text table: one row per question type plus the overall row."""
    columns = [f"hit@{k}" for k in (1, 3, 5)] + [
        "mrr@10",
        "em",
        "f1",
        "contained",
        "ref_p",
        "ref_r",
        "ref_f1",
        "p50_ms",
        "p95_ms",
    ]
    lines = [f"{'type':<16}{'n':>4}{'n_ans':>7}" + "".join(f"{c:>10}" for c in columns)]

    def row(name: str, block: dict) -> str:
        a = block["answer"]
        values = {
            **block["retrieval"],
            **{k: a[k] for k in ("em", "f1", "contained") if k in a},
            "ref_p": a["refusal"]["precision"],
            "ref_r": a["refusal"]["recall"],
            "ref_f1": a["refusal"]["f1"],
        }
        if "latency_ms" in a:
            values.update(p50_ms=a["latency_ms"]["p50"], p95_ms=a["latency_ms"]["p95"])
        cells = "".join(f"{values[c]:>10.3f}" if c in values else f"{'-':>10}" for c in columns)
        return f"{name:<16}{block['n']:>4}{block['retrieval'].get('n', 0):>7}{cells}"

    for name, block in result["by_type"].items():
        lines.append(row(name, block))
    lines.append(row("ALL", result["overall"]))
    return "\n".join(lines)
