"""The extractive reader: the best candidate span of the evidence, with no generator.

Candidates and their features come from :mod:`qa.answering.spans`; a linear score over the
features (weights fitted on the tuning split by ``python -m eval calibrate``, kept in
:class:`qa.fitted.ExtractiveSettings`) ranks them, and a softmax over a question's
candidates gives the chosen span's share, which the refusal policy weighs as
``reader_score``. Fast: tens of milliseconds for a few evidence sentences.
"""

from __future__ import annotations

import math
import time

from qa.answering.evidence import Evidence
from qa.answering.grounding import Span
from qa.answering.question import Asks
from qa.answering.spans import FEATURES, candidate_features, candidates
from qa.answering.tables import asked_column
from qa.answering.types import Draft
from qa.fitted import ExtractiveSettings
from qa.search.hits import period_adjustment
from qa.text import years_named


def scored_candidates(question: str, asks: Asks, evidence: list[Evidence]) -> list[tuple[Span, list[float]]]:
    """Every candidate span of the evidence with its feature vector."""
    top = max((e.score for e in evidence), default=1.0) or 1.0
    years = years_named(question)
    out = []
    for index, sentence in enumerate(evidence):
        period = period_adjustment(years, sentence.period, 1.0)
        column = asked_column(sentence, question)  # in a table row, only the cell asked for
        for candidate in candidates(sentence.text, question):
            if column and not column[0] <= candidate.start < candidate.end <= column[1]:
                continue
            values = candidate_features(
                candidate, sentence.text, question, asks, sentence.score / top, index, sentence.coverage, period
            )
            span = Span(
                index,
                sentence.start + candidate.start,
                sentence.start + candidate.end,
                sentence.text[candidate.start : candidate.end],
                True,
            )
            out.append((span, values))
    return out


class ExtractiveReader:
    """Component: ``run(question, asks, evidence) -> Draft`` (one span, or none)."""

    def __init__(self, settings: ExtractiveSettings) -> None:
        self.weights = [dict(settings.weights).get(name, 0.0) for name in FEATURES]

    def score(self, values: list[float]) -> float:
        return sum(w * v for w, v in zip(self.weights, values))

    def run(self, question: str, asks: Asks, evidence: list[Evidence]) -> Draft:
        started = time.perf_counter()
        scored = [(self.score(values), span) for span, values in scored_candidates(question, asks, evidence)]
        if not scored:
            return Draft("extractive", timings={"read": (time.perf_counter() - started) * 1000})
        best_score, best = max(scored, key=lambda item: item[0])
        share = 1.0 / sum(math.exp(min(score - best_score, 0.0)) for score, _ in scored)
        return Draft(
            "extractive", [best], best.text, score=share, timings={"read": (time.perf_counter() - started) * 1000}
        )
