"""What ``python -m eval calibrate`` fits on: every tuning question, as asked, with its
evidence removed, and put to another set's documents (the last two: questions the documents
do not answer), with its evidence, extractive candidates and generative draft.

The generator's answers are cached by prompt (:class:`CachedGenerator`), so a re-fit after a
change elsewhere only generates for prompts it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from eval.metrics import eval_index_dir, f1, normalize_answer, read_jsonl
from qa.answering.extractive import scored_candidates
from qa.answering.question import asks
from qa.answering.types import Draft


@dataclass
class Case:
    set_name: str
    qid: str
    variant: str  # "as asked", "evidence removed" or "other documents" (another set's corpus)
    answers: list[str]
    question: str
    rewritten: str
    hits: list
    evidence: list  # as generative mode selects it (sentence embeddings)
    fast_evidence: list  # as extractive mode selects it (no sentence embeddings)
    candidates: list = field(default_factory=list)  # (span, features, f1) on the fast evidence
    generated: Draft | None = None  # the generative reader's draft on ``evidence``

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def best_f1(text: str, answers: list[str]) -> float:
    return max((f1(text, g) for g in answers), default=0.0) if text else 0.0


def holds_answer(text: str, row: dict) -> bool:
    squashed = normalize_answer(text)
    needles = [row.get("evidence") or ""] + list(row.get("answers") or [])
    return any(normalize_answer(n) and normalize_answer(n) in squashed for n in needles)


class CachedGenerator:
    """The generator with its answers kept in a JSONL file, keyed by prompt: re-fits replay them."""

    def __init__(self, generator, path: Path | None) -> None:
        self.generator, self.path = generator, path
        self.name = getattr(generator, "name", "cached")
        self.cache = {r["key"]: r for r in read_jsonl(path)} if path and path.exists() else {}

    def warm_up(self) -> None:
        self.generator.warm_up()

    def remember_prefix(self, prefix):
        remember = getattr(self.generator, "remember_prefix", None)
        return remember(prefix) if remember else 0

    def stream(self, messages, max_tokens, stop=(), copy=None):
        from dataclasses import asdict

        from qa.answering.generator import Token

        # fields left at their empty default stay out of the key, so a new optional field keeps
        # the drafts already cached
        spec = {name: value for name, value in asdict(copy).items() if value} if copy is not None else None
        key = hashlib.sha1(
            json.dumps([messages, max_tokens, list(stop), spec], ensure_ascii=False).encode()
        ).hexdigest()
        if key not in self.cache:
            tokens = list(self.generator.stream(messages, max_tokens, stop, copy))
            self.cache[key] = {"key": key, "tokens": [[t.text, t.logprob, t.phrase_logprob] for t in tokens]}
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(self.cache[key], ensure_ascii=False) + "\n")
        yield from (Token(*token) for token in self.cache[key]["tokens"])


def collect(sets: list[tuple[str, Path]], generate: bool, cache_path: Path | None, k: int = 5) -> list[Case]:
    from qa.answering.generative import GenerativeReader
    from qa.answering.generator import load_generator
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    reader = None
    if generate:
        settings = Settings.from_env()
        reader = GenerativeReader.from_settings(
            CachedGenerator(load_generator(settings), cache_path), settings.generation
        )
        reader.warm_up()
    cases: list[Case] = []
    pipelines = {}
    for _, corpus in sets:
        if corpus not in pipelines:
            pipelines[corpus] = Pipeline(Settings.from_env(corpus_dir=corpus, index_dir=eval_index_dir(corpus)))
            pipelines[corpus].warm_up()
    for qa_file, corpus in sets:
        pipeline = pipelines[corpus]
        others = [p for c, p in pipelines.items() if c != corpus]
        for row in read_jsonl(qa_file):
            result = pipeline.retrieve(row["question"], k=2 * k)
            variants = [("as asked", result.hits[:k], list(row.get("answers") or []))]
            if row.get("answers"):
                kept = [h for h in result.hits if not holds_answer(h.chunk.text, row)][:k]
                variants.append(("evidence removed", kept, []))
            if others:  # the question put to documents about something else (extractive only)
                variants.append(("other documents", others[0].retrieve(row["question"], k=k).hits, []))
            for variant, hits, answers in variants:
                evidence = pipeline.answerer.evidence.run(result.rewritten, hits, result.query_vector)
                fast = pipeline.answerer.evidence.run(result.rewritten, hits)
                case = Case(
                    Path(qa_file).stem,
                    row["id"],
                    variant,
                    answers,
                    row["question"],
                    result.rewritten,
                    hits,
                    evidence,
                    fast,
                )
                question_asks = asks(result.rewritten)
                for span, values in scored_candidates(result.rewritten, question_asks, fast):
                    case.candidates.append((span, values, best_f1(span.text, row.get("answers") or [])))
                if reader is not None and evidence and variant != "other documents":
                    case.generated = reader.run(result.rewritten, evidence)
                cases.append(case)
            print(f"\r{qa_file}: {len(cases)} cases", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    return cases
