"""Per-question measurements of ``eval bench``'s latency runs: which path answered, its F1,
prompt size, and when the first visible content appeared.

Contracts: every time is in milliseconds from the start of ``Pipeline.ask``; the pure helpers
(:func:`answer_path`, :func:`answer_f1`, :func:`path_shares`, :func:`accuracy_per_second`,
:func:`speed_summary`) take plain values or record dicts and load no model.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from eval.metrics import f1
from eval.scaling import summarize

PATHS = ("generator", "generator skipped", "extractive", "refused")


# ---------------------------------------------------------------- pure helpers


def answer_path(note: str, refused: bool = False) -> str:
    """Which path answered, from ``Answer.note``: "refused" (any refusal), "generator skipped"
    (the extractive reader was confident), "generator" (the generator read the evidence), or
    "extractive" (extractive mode, or the generator was unavailable)."""
    note = note or ""
    if refused or ": refused" in note or "cover no year" in note:
        return "refused"
    if "generator skipped" in note:
        return "generator skipped"
    # "generator unavailable (...); extractive reader" names the generator but did not use it
    path = note.rsplit("; ", 1)[-1]
    return "generator" if path.startswith("generator") and "unavailable" not in path else "extractive"


def answer_f1(answer: str | None, refused: bool, golds: Sequence[str]) -> float | None:
    """F1 (:func:`eval.metrics.f1`) of an answer against the best gold answer; None for an
    unanswerable question (no golds), 0 for a refusal or an empty answer."""
    if not golds:
        return None
    if refused or not answer:
        return 0.0
    return max(f1(answer, gold) for gold in golds)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def path_shares(records: Sequence[dict]) -> dict[str, dict]:
    """Per path (in :data:`PATHS` order, only those seen): questions ``n``, ``share`` of all,
    ``n_answerable``, mean ``f1`` over its answerable questions (None without any), and
    ``n_unanswerable`` (for "refused" these are the right refusals, elsewhere wrong answers).

    Each record needs ``path`` and ``f1`` (None: unanswerable)."""
    total = len(records)
    out = {}
    for path in sorted({r["path"] for r in records}, key=lambda p: (PATHS + (p,)).index(p)):
        group = [r for r in records if r["path"] == path]
        scores = [r["f1"] for r in group if r["f1"] is not None]
        out[path] = {
            "n": len(group),
            "share": round(len(group) / total, 4),
            "n_answerable": len(scores),
            "f1": _mean(scores),
            "n_unanswerable": len(group) - len(scores),
        }
    return out


def accuracy_per_second(f1s: Sequence[float | None], latencies_ms: Sequence[float]) -> float | None:
    """Mean F1 over the answerable questions divided by the mean latency in seconds of all."""
    scores = [x for x in f1s if x is not None]
    if not scores or not latencies_ms:
        return None
    seconds = sum(latencies_ms) / len(latencies_ms) / 1000
    return round((sum(scores) / len(scores)) / seconds, 4) if seconds > 0 else None


def speed_summary(records: Sequence[dict]) -> dict:
    """From per-question records (``ms``, ``f1``, ``path``, optional ``draft_ms``, ``token_ms``,
    ``prompt_tokens``): path shares, mean F1, accuracy per second, time to first draft / first
    token / first visible content (draft, token or the answer itself, whichever came first), and
    prompt tokens per generative prompt."""
    latencies = [r["ms"] for r in records]
    scores = [r["f1"] for r in records]

    def present(key: str) -> list[float]:
        return [r[key] for r in records if r.get(key) is not None]

    visible = [min(v for v in (r.get("draft_ms"), r.get("token_ms"), r["ms"]) if v is not None) for r in records]
    return {
        "paths": path_shares(records),
        "f1": _mean([x for x in scores if x is not None]),
        "accuracy_per_s": accuracy_per_second(scores, latencies),
        "first_draft_ms": summarize(present("draft_ms")),
        "first_token_ms": summarize(present("token_ms")),
        "first_visible_ms": summarize(visible),
        "prompt_tokens": summarize(present("prompt_tokens")),
        "extra_prompts": sum(max(len(r.get("prompts") or []) - 1, 0) for r in records),
    }


# ---------------------------------------------------------------- measuring one ask


@contextlib.contextmanager
def counting_prompts(generator):
    """Record the length of every prompt a :class:`~qa.answering.generator.LlamaGenerator`
    tokenizes while the block runs (yields the list; None for other generators)."""
    from qa.answering.generator import LlamaGenerator

    if not isinstance(generator, LlamaGenerator):
        yield None
        return
    counts: list[int] = []
    original = generator.prompt_tokens

    def prompt_tokens(messages):
        tokens = original(messages)
        counts.append(len(tokens))
        return tokens

    generator.prompt_tokens = prompt_tokens  # instance attribute: shadows the method
    try:
        yield counts
    finally:
        del generator.prompt_tokens


def timed_ask(pipeline, question: str, mode: str, prompt_counts: list[int] | None = None) -> tuple[dict, dict]:
    """(stage timings ms, record) for one ``pipeline.ask``. The record holds ``ms`` (end to end),
    ``draft_ms`` / ``token_ms`` (first ``on_draft`` / ``on_token`` call, None if never), ``note``,
    ``refused``, ``answer`` and, with ``prompt_counts`` (see :func:`counting_prompts`), the
    prompt lengths this ask evaluated (``prompts``; the first is the reader's ``prompt_tokens``)."""
    seen: dict[str, float] = {}
    before = len(prompt_counts) if prompt_counts is not None else 0
    t0 = time.perf_counter()

    def first(name: str):
        def callback(_text: str) -> None:
            seen.setdefault(name, (time.perf_counter() - t0) * 1000)

        return callback

    answer = pipeline.ask(question, mode=mode, on_token=first("token_ms"), on_draft=first("draft_ms"))
    total = (time.perf_counter() - t0) * 1000
    prompts = list(prompt_counts[before:]) if prompt_counts is not None else []
    record = {
        "ms": round(total, 2),
        "draft_ms": round(seen["draft_ms"], 2) if "draft_ms" in seen else None,
        "token_ms": round(seen["token_ms"], 2) if "token_ms" in seen else None,
        "note": answer.note,
        "refused": answer.refused,
        "answer": answer.answer,
        "prompts": prompts,
        "prompt_tokens": prompts[0] if prompts else None,
    }
    return dict(answer.timings), record
