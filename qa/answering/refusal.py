"""Refusal as a calibrated decision.

:func:`signals` measures what speaks for and against a draft answer: how much of the
question the retrieved text covers at all, whether the generator said "not there" (or how
much it leaned that way before answering; weighed apart when "not there" was withheld from
it), how sure it was of its tokens, whether its words align with the evidence, how close in
meaning the cited sentence is to the question (embedding similarity: a colloquial question shares
few words with the rule that answers it; generative mode only), whether the
answer is of the kind asked (a number for 多少, a name for 谁) and about the whole period
asked, whether the cited text holds the proper names the question names, and whether it only
restates the question.
:class:`RefusalPolicy` turns them into a probability that the answer is there to give, with
logistic weights fitted on the tuning split (``python -m eval calibrate``; the weights live in
:class:`qa.fitted.RefusalSettings`), and refuses below the threshold fitted with them.

Certain cases need no weights: nothing retrieved, nothing grounded, an answer that only
repeats the question (it adds no information), a heading or the document's title as the
answer to a yes-or-no question (it names a topic and settles nothing), a figure of another kind
than the one the question names (a rate for 多少元), or an answer cited from a sentence about
other years than the ones the question names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from qa.answering.evidence import Evidence
from qa.answering.grounding import only_restates, ungrounded_numbers
from qa.answering.question import Asks, asks, measures_asked, names_a_person
from qa.answering.types import Draft
from qa.figures import DURATION_WORDS, dimensions_in, number_spans, numbers_in, says_when
from qa.fitted import RefusalSettings
from qa.index.lexical import tokenize
from qa.search.hits import Hit
from qa.text import squeeze_spaces, years_named

YEAR_ONLY = re.compile(r"(?:19|20)\d{2}\s*年?")
RATE_ANSWER = re.compile(r"[%‰]|百分之|个百分点|成|倍")
# Paragraph kinds (ingest's) that label text rather than state anything: section headings, and
# the document's title and source line ("meta").
LABELS = frozenset({"heading", "meta"})
# Each signal with the direction it may push the probability that the answer is there
# (+1 up, -1 down): the fit drops a signal whose weight comes out the other way.
FEATURE_SIGNS = {
    "logprob_mean": 1,
    "logprob_min": 1,
    "unaligned": -1,
    "inexact": -1,
    "coverage": 1,
    "cited_coverage": 1,
    "cited_similarity": 1,
    "question_missing": -1,
    "kind_fit": 1,
    "cited_rank": -1,
    "reader_score": 1,
    "doubt": -1,
    "withheld_doubt": -1,
    "period_broader": -1,
    "head_missing": -1,
    "name_missing": -1,
    "restated": -1,
}
FEATURES = tuple(FEATURE_SIGNS)
# Signals that are NaN when they cannot be measured (no sentence embeddings, or embeddings of
# another model than the weights were fitted on): see with_unmeasured.
MAY_GO_UNMEASURED = ("cited_similarity",)


@dataclass(frozen=True)
class Decision:
    refuse: bool
    confidence: float  # probability that the answer is there to give
    reason: str = ""


def question_missing(question: str, hits: list[Hit]) -> float:
    """Share of the question's content (characters of its words) found in none of the passages,
    their titles or sections: a question about something the documents never name."""
    tokens = tokenize(question)
    if not tokens:
        return 0.0
    haystack = squeeze_spaces(" ".join(f"{h.chunk.title} {' '.join(h.chunk.section)} {h.chunk.text}" for h in hits))
    missing = sum(len(t) for t in tokens if t not in haystack)
    return missing / sum(len(t) for t in tokens)


def kind_fit(asks: Asks, answer: str, parts: int) -> float:
    """1 when the answer is the kind of thing asked, 0 when it plainly is not (no number for 多少,
    another unit than the one asked and a figure of another dimension (a count for 多久, see
    :data:`Asks.dimension`), a count for a rate, a bare figure for a yes or no, no time for
    什么时候)."""
    if asks.kind == "number":
        if not asks.rate and measures_asked(asks, answer):
            return 1.0  # of the dimension asked, in figures or words ("多久组织一次？" → "每季度")
        if not numbers_in(answer) or (YEAR_ONLY.fullmatch(answer.strip()) and not asks.when):
            return 0.0
        if asks.rate:
            return 1.0 if RATE_ANSWER.search(answer) else 0.0
        return 1.0 if not (asks.unit or asks.dimension) or (asks.unit and asks.unit in answer) else 0.0
    if asks.kind == "list":
        return 1.0 if parts > 1 or re.search(r"[、和及与]", answer) else 0.5
    if asks.kind == "yesno":  # a bare figure or date ("2023年2月10日") says neither yes nor no
        return 0.0 if only_figures(answer) else 1.0
    if asks.when and not says_when(answer):  # 什么时候 is not answered by "计划"
        return 0.0
    if asks.kind == "person":
        return 1.0 if names_a_person(answer) else 0.0
    return 1.0


def only_figures(answer: str) -> bool:
    """Whether the answer, punctuation and joiners aside, is nothing but figures and dates."""
    spans = number_spans(answer)
    rest = "".join(answer[end:start] for (_, end), (start, _) in zip([(0, 0), *spans], [*spans, (len(answer), 0)]))
    return bool(spans) and not re.sub(r"[\W_和及与或至到]", "", rest)


def period_conflict(question: str, evidence: Evidence) -> bool:
    """The question names years that the cited sentence's period does not include and that the
    sentence does not name either (a 2022 plan does not answer "2023年…"; a sentence of that plan
    which recalls "2021年…" may answer "2021年…")."""
    asked, about = years_named(question), years_named(evidence.period)
    return bool(asked and about and not asked & about and not asked & years_named(evidence.text))


def period_broader(question: str, evidence: Evidence) -> bool:
    """The question names one year and the cited sentence speaks of a longer period holding it
    (a five-year total for "2021年" is not the year's figure)."""
    asked, about = years_named(question), years_named(evidence.period)
    return len(asked) == 1 and len(about) > 1 and asked <= about


def head_missing(asks: Asks, cited: list[Evidence]) -> float:
    """1 when the question names the thing it asks for (哪个区 → 区, 邮箱是什么 → 邮箱) and no
    cited sentence or its section holds that word."""
    if not asks.head or not cited:
        return 0.0
    return float(not any(asks.head in squeeze_spaces(" ".join(e.section) + e.text) for e in cited))


def name_missing(asks: Asks, cited: list[Evidence]) -> float:
    """1 when the question names a place, person, organization or other proper name
    (``asks.names``: 青禾县, 星河数控) that no cited sentence, its section or its document's title
    holds: the answer is then likely about someone or somewhere else."""
    if not cited or not asks.names:
        return 0.0
    haystack = squeeze_spaces(" ".join(f"{e.title} {' '.join(e.section)} {e.text}" for e in cited))
    return float(any(name not in haystack for name in asks.names))


def cited_similarity(cited: list[Evidence]) -> float:
    """The best embedding similarity to the question among the cited sentences; NaN when none was
    measured (no encoder or no question vector, as in extractive mode, or only sentences that
    :meth:`Answerer.settle` added after selection were cited): see :func:`with_unmeasured`."""
    measured = [e.similarity for e in cited if e.similarity is not None]
    return max(measured) if measured else math.nan


def with_unmeasured(values: dict[str, float], unmeasured) -> dict[str, float]:
    """``values`` with each signal of :data:`MAY_GO_UNMEASURED` that is NaN replaced by its
    stand-in from ``unmeasured`` ((name, value) pairs: its mean on the tuning drafts, so it counts
    as an average one). A NaN anywhere else, or one without a stand-in, is a bug: ValueError."""
    stand_in = dict(unmeasured)
    out = {}
    for name, value in values.items():
        if math.isnan(value):
            if name not in MAY_GO_UNMEASURED or name not in stand_in:
                raise ValueError(f"refusal signal {name} is NaN and has no stand-in (RefusalSettings.unmeasured)")
            value = stand_in[name]
        out[name] = value
    return out


def restated(answer: str, question: str) -> float:
    """Share of the answer's characters (punctuation and spaces aside) that the question holds."""
    core = [ch for ch in answer if ch.isalnum()]
    return sum(1 for ch in core if ch in question) / len(core) if core else 0.0


def signals(question: str, asks: Asks, hits: list[Hit], evidence: list[Evidence], draft: Draft) -> dict[str, float]:
    """The features of :data:`FEATURES` for one draft (see the module docstring)."""
    answer = "".join(span.text for span in draft.spans)
    cited = [evidence[span.sentence] for span in draft.spans]
    parts = max(len(draft.spans) + len(draft.missing), 1)
    logprobs = draft.logprobs or [0.0]
    return {
        "logprob_mean": max(sum(logprobs) / len(logprobs), -5.0),
        "logprob_min": max(min(logprobs), -10.0),
        "unaligned": len(draft.missing) / parts,
        "inexact": float(any(not span.exact for span in draft.spans)),
        "coverage": max((e.coverage for e in evidence), default=0.0),
        "cited_coverage": max((e.coverage for e in cited), default=0.0),
        "cited_similarity": cited_similarity(cited),
        "question_missing": question_missing(question, hits),
        "kind_fit": kind_fit(asks, answer, len(draft.spans)) if draft.spans else 0.0,
        "cited_rank": min((span.sentence for span in draft.spans), default=len(evidence)),
        "reader_score": draft.score,
        "doubt": 0.0 if draft.withheld else doubt(draft.doubt),
        "withheld_doubt": doubt(draft.doubt) if draft.withheld else 0.0,
        "period_broader": float(any(period_broader(question, e) for e in cited)),
        "head_missing": head_missing(asks, cited),
        "name_missing": name_missing(asks, cited),
        "restated": restated(answer, question),
    }


DOUBT_FLOOR = -10.0  # log-probabilities of "not found" below this count as no doubt at all


def doubt(logprob: float | None) -> float:
    """The generator's inclination to say "not found", on [0, 1]: 0 below e^-10 (or unknown), 1 at
    certainty, linear in the log-probability between."""
    if logprob is None:
        return 0.0
    return min(max(1.0 - logprob / DOUBT_FLOOR, 0.0), 1.0)


def logistic(weights, values: dict[str, float]) -> float:
    """σ(bias + Σ weight × value) for (name, weight) pairs, "bias" being the intercept. A NaN
    value (an unmeasured signal not put through :func:`with_unmeasured`) raises ValueError."""
    z = sum(weight if name == "bias" else weight * values[name] for name, weight in weights)
    if math.isnan(z):
        raise ValueError("a refusal signal is NaN: put the values through with_unmeasured")
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def other_dimension(question_asks: Asks, answer: str) -> str:
    """Why a figure answers another question than the one asked: the question names what it
    measures (多少元: money, 覆盖率: a rate) and the answer's figures all measure something else
    ("" when they do not, or say nothing about it)."""
    if question_asks.kind != "number":
        return ""
    wanted = question_asks.dimension
    stated = dimensions_in(answer) | ({"duration"} if DURATION_WORDS.search(answer) else set())
    if wanted and stated and wanted not in stated:
        return f"the question asks for a figure of {wanted}, the answer gives {'/'.join(sorted(stated))}"
    return ""


def certain_refusal(question: str, evidence: list[Evidence], draft: Draft) -> str:
    """Why the draft must be refused whatever the weights say ("" when it need not be)."""
    if not evidence:
        return "nothing retrieved"
    if draft.not_found and not draft.spans:
        return "the generator found no answer in the evidence"
    if not draft.spans:
        return f"no evidence states {draft.text!r}" if draft.text else "no answer span"
    if all(only_restates(span.text, question) for span in draft.spans):
        return "the answer only repeats the question"
    if asks(question).kind == "yesno" and all(evidence[span.sentence].kind in LABELS for span in draft.spans):
        return "a heading or title names a topic, it does not say yes or no"
    mismatch = other_dimension(asks(question), "".join(span.text for span in draft.spans))
    if mismatch:
        return mismatch
    about = [evidence[s.sentence].period for s in draft.spans if period_conflict(question, evidence[s.sentence])]
    if about:
        return f"the answer is cited from a sentence about {about[0]}, not the year asked"
    invented = ungrounded_numbers(draft.text, " ".join(e.text for e in evidence), question)
    if draft.reader == "generative" and invented:
        return f"numbers not in the evidence: {invented}"
    return ""


class RefusalPolicy:
    """Component: ``run(question, asks, hits, evidence, draft) -> Decision``.

    ``encoder_model``: the model whose embeddings gave ``Evidence.similarity``. Similarities are
    cosines on that model's own scale, so they count only when it is the model the weights were
    fitted with (``settings.similarity_model``); otherwise they count as unmeasured."""

    def __init__(self, settings: RefusalSettings, encoder_model: str | None = None) -> None:
        self.settings = settings
        self.similarity_fitted = encoder_model == settings.similarity_model

    def probability(self, values: dict[str, float], reader: str) -> float:
        """P(the answer is there to give) under the reader's fitted weights."""
        if not self.similarity_fitted:
            values = {**values, **{name: math.nan for name in MAY_GO_UNMEASURED}}
        return logistic(self.settings.weights(reader), with_unmeasured(values, self.settings.unmeasured))

    def run(self, question: str, asks: Asks, hits: list[Hit], evidence: list[Evidence], draft: Draft) -> Decision:
        reason = certain_refusal(question, evidence, draft)
        if reason:
            return Decision(True, 0.0, reason)
        confidence = self.probability(signals(question, asks, hits, evidence, draft), draft.reader)
        threshold = self.settings.threshold(draft.reader)
        if confidence < threshold:
            return Decision(True, confidence, f"confidence {confidence:.2f} < {threshold:.2f}")
        return Decision(False, confidence)
