"""The answer layer as one component: evidence, readers, refusal and composition wired.

:class:`Answerer` ``run()`` takes retrieved hits and returns an :class:`Answer`::

    EvidenceSelector → ExtractiveReader ─┬─(confident: answer now)──────────────┐
                                         └→ GenerativeReader → RefusalPolicy ─┴→ compose

In generative mode, a draft the extractive reader is confident about is answered at once,
without the generator (``note`` says so). It needs no index: :func:`qa.answer` runs it on
passages a caller gives.
"""

from __future__ import annotations

import time

from qa.answering.compose import compose, refusal_reply
from qa.answering.evidence import Evidence, EvidenceSelector
from qa.answering.extractive import ExtractiveReader
from qa.answering.generative import GenerativeReader, ground
from qa.answering.question import asks
from qa.answering.refusal import Decision, RefusalPolicy
from qa.answering.types import Answer, Draft
from qa.search.hits import Hit
from qa.settings import Settings
from qa.text import single_years


def uncovered_years(rewritten: str, known_years: frozenset[int]) -> list[int]:
    """Years the question names explicitly that no document mentions at all: the one case a
    refusal is certain before reading (empty when the documents name no year)."""
    return sorted(y for y in single_years(rewritten) if y not in known_years) if known_years else []


class Answerer:
    """Component: ``run(question, rewritten, hits, ...) -> Answer`` (see the module docstring)."""

    def __init__(self, settings: Settings, encoder=None) -> None:
        self.settings = settings
        self.evidence = EvidenceSelector(settings.evidence, encoder)
        self.extractive = ExtractiveReader(settings.extractive)
        self.refusal = RefusalPolicy(settings.refusal, getattr(encoder, "model_id", None))

    def run(
        self,
        question: str,
        rewritten: str,
        hits: list[Hit],
        query_vector=None,
        generative: GenerativeReader | None = None,
        known_years: frozenset[int] = frozenset(),
        on_token=None,
        on_draft=None,
    ) -> Answer:
        """Read, decide and compose the answer to ``question`` (``rewritten``: its normalized,
        standalone form) from ``hits``. ``generative``: the generator reader, None for extractive
        mode. ``known_years``: every year the documents mention (see :func:`uncovered_years`).
        ``on_token`` receives generated text as it streams; ``on_draft`` the extractive reader's
        sentence while the generator is still working (to show something at once)."""
        mode = "generative" if generative else "extractive"
        question_asks = asks(rewritten)
        started = time.perf_counter()
        uncovered = uncovered_years(rewritten, known_years)
        if uncovered:
            return refused(question, rewritten, mode, hits, f"the documents cover no year {uncovered}", 0.0)
        evidence = self.evidence.run(rewritten, hits, query_vector if generative else None)
        timings = {"evidence": (time.perf_counter() - started) * 1000}
        draft = self.extractive.run(rewritten, question_asks, evidence)
        decision = self.refusal.run(rewritten, question_asks, hits, evidence, draft)
        timings.update(draft.timings)
        path = "extractive reader"
        if generative and not (not decision.refuse and decision.confidence >= self.settings.refusal.skip_generator):
            if on_draft and evidence:
                on_draft(evidence[draft.spans[0].sentence].text if draft.spans else evidence[0].text)
            evidence, draft = self.settle(rewritten, hits, evidence, generative.run(rewritten, evidence, on_token))
            decision = self.refusal.run(rewritten, question_asks, hits, evidence, draft)
            timings.update(draft.timings)
            path = "generator"
        elif generative:
            path = f"extractive reader, confident ({decision.confidence:.2f}): generator skipped"
        return self._compose(question, rewritten, mode, hits, evidence, draft, decision, timings, path)

    def settle(
        self, question: str, hits: list[Hit], evidence: list[Evidence], generated: Draft
    ) -> tuple[list[Evidence], Draft]:
        """The generator's draft made citable: parts the evidence does not state are looked for
        in every sentence of the retrieved passages (the generator also saw their titles and
        sections). Sentences added so carry no score, coverage or similarity."""
        if generated.missing:
            chosen = {(e.doc_id, e.start) for e in evidence}
            extra = [e for e in self.evidence.sentences(hits) if (e.doc_id, e.start) not in chosen]
            if extra:
                evidence = evidence + extra
                doubt, withheld = generated.doubt, generated.withheld
                generated = ground(generated.text, generated.logprobs, evidence, question, generated.timings)
                generated.doubt, generated.withheld = doubt, withheld
        return evidence, generated

    def _compose(
        self,
        question: str,
        rewritten: str,
        mode: str,
        hits,
        evidence: list[Evidence],
        draft: Draft,
        decision: Decision,
        timings: dict,
        path: str,
    ) -> Answer:
        if decision.refuse:
            note = f"{path}: refused, {decision.reason}"
            return refused(question, rewritten, mode, hits, note, decision.confidence, timings)
        text, reply, citations, spans = compose(rewritten, draft.spans, hits, evidence)
        return Answer(
            question, rewritten, reply, text, False, mode, hits, citations, spans, timings, decision.confidence, path
        )


def refused(question: str, rewritten: str, mode: str, hits, note: str, confidence: float, timings=None) -> Answer:
    """The refusal answer: the polite "not found" reply, the related passages as sources."""
    return Answer(
        question, rewritten, refusal_reply(rewritten), None, True, mode, hits,
        timings=timings or {}, confidence=confidence, note=note,
    )  # fmt: skip
