"""The generator as the reader: evidence sentences in, cited spans out.

:class:`GenerativeReader` prompts the generator with the evidence (:mod:`qa.answering.prompts`),
streams its answer (when the answer is a bare yes or no, or a verdict on a yes-or-no question
in words no evidence states, asks it for the evidence's words that settle it), and grounds each
part of it in the evidence (:func:`qa.answering.grounding.align`), widened to its unit and
trimmed of the question's own words. It decides nothing about refusal: the draft carries the
generator's "not found", its token log-probabilities and the parts it could not ground to
:class:`qa.answering.refusal.RefusalPolicy`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from qa.answering import prompts
from qa.answering.evidence import Evidence
from qa.answering.generator import CopySpec, Generator
from qa.answering.grounding import (
    align,
    asks_a_count,
    clause_span,
    complete_span,
    counted_span,
    only_restates,
    trim_edges,
)
from qa.answering.question import asks
from qa.answering.types import Draft
from qa.figures import numbers_in
from qa.settings import GenerationSettings

STOP = ("\n\n", "问题：", "资料：")  # the generator starting a new turn of its own
# Answers that only say yes or no (是/能/可以/不得..., or a bare 不/否/没): they need the
# evidence's own words.
POLAR_WORDS = frozenset(
    [
        "不",
        "否",
        "没",
        "是",
        "不是",
        "能",
        "不能",
        "可以",
        "不可以",
        "会",
        "不会",
        "行",
        "不行",
        "有",
        "没有",
        "要",
        "不要",
        "需要",
        "不需要",
        "应当",
        "应该",
        "不应当",
        "不得",
        "算",
        "不算",
        "合法",
        "不合法",
        "违法",
        "不违法",
        "对",
        "不对",
    ]
)


class GenerativeReader:
    """Component: ``run(question, evidence, on_token=None) -> Draft``."""

    def __init__(
        self, generator: Generator, max_new_tokens: int = 64, copy: bool = True, withhold_yesno: bool = True
    ) -> None:
        self.generator = generator
        self.max_new_tokens = max_new_tokens
        self.copy = copy  # constrain the answer to copies of the evidence (qa.answering.copying)
        self.withhold_yesno = withhold_yesno  # see copy_spec

    @classmethod
    def from_settings(cls, generator: Generator, settings: GenerationSettings) -> GenerativeReader:
        return cls(generator, settings.max_new_tokens, settings.copy_evidence, settings.withhold_not_found_yesno)

    def warm_up(self) -> None:
        """Load the generator and evaluate the fixed prompt prefix once."""
        self.generator.warm_up()
        remember = getattr(self.generator, "remember_prefix", None)
        if remember:
            remember(prompts.reader_prefix())

    def run(self, question: str, evidence: list[Evidence], on_token: Callable[[str], None] | None = None) -> Draft:
        if not evidence:
            return Draft("generative", not_found=True)
        started = time.perf_counter()
        messages = prompts.reader_messages(question, evidence)
        copy = copy_spec(question, evidence, self.withhold_yesno) if self.copy else None
        text, logprobs, first, doubt = self._generate(messages, on_token, copy)
        ended = time.perf_counter()
        timings = {"prefill": ((first or ended) - started) * 1000, "decode": (ended - (first or ended)) * 1000}
        if bare(question, text) or (judges(question, text) and not align(text, evidence)[0]):
            # a bare yes or no, the question's own words, or a verdict in the generator's own
            # words ("不合理") cites nothing: ask for the words of the evidence that settle it (the
            # conversation so far stays in the KV cache, so this costs a few tokens)
            quote, quote_logprobs, _, _ = self._generate(prompts.cite_messages(messages, text), None, copy)
            timings["cite"] = (time.perf_counter() - ended) * 1000
            if quote and prompts.NOT_FOUND not in quote:
                text, logprobs = quote, logprobs + quote_logprobs
        draft = ground(text, logprobs, evidence, question, timings)
        draft.doubt, draft.withheld = doubt, bool(copy and copy.withheld)
        return draft

    def _generate(self, messages: list[dict], on_token, copy: CopySpec | None):
        """(text, token log-probabilities, time of the first token, log-probability of answering
        "not found" instead at the first token, or None) of one streamed generation."""
        first, pieces, logprobs, doubt = None, [], [], None
        stream = self.generator.stream(messages, self.max_new_tokens, stop=STOP, copy=copy)
        try:
            for token in stream:
                if first is None:
                    first, doubt = time.perf_counter(), token.phrase_logprob
                pieces.append(token.text)
                if token.logprob is not None:
                    logprobs.append(token.logprob)
                if on_token and token.text:
                    on_token(token.text)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        return "".join(pieces).strip(), logprobs, first, doubt


def copy_spec(question: str, evidence: list[Evidence], withhold_yesno: bool = True) -> CopySpec:
    """What the answer to ``question`` may be: copies of the evidence, or "not found".

    A yes-or-no question (合法吗, 能不能) is settled by a rule or statement that seldom says yes
    or no in so many words, and a small model held to copying then prefers "not found" even
    with that rule before it. For such questions (``withhold_yesno``) "not found" is withheld:
    the model copies its best candidate, and the probability it gave "not found" still reaches
    the refusal policy as doubt."""
    sources = tuple(e.text for e in evidence)
    if withhold_yesno and asks(question).kind == "yesno":
        return CopySpec(sources, prompts.PART_SEPARATOR, withheld=(prompts.NOT_FOUND,))
    return CopySpec(sources, prompts.PART_SEPARATOR, (prompts.NOT_FOUND,))


def bare(question: str, text: str) -> bool:
    """Whether ``text`` only says yes or no (是/能/不得...), or, to a yes-or-no question, only
    repeats the question's words: either way it needs the evidence's own words behind it."""
    core = trim_edges(text)
    return core in POLAR_WORDS or (asks(question).kind == "yesno" and only_restates(core, question))


def judges(question: str, text: str) -> bool:
    """Whether ``text`` answers a yes-or-no question (``question``) with something other than
    "not found": such an answer is a verdict, and the evidence's words must back it."""
    return asks(question).kind == "yesno" and bool(text) and prompts.NOT_FOUND not in text


def ground(
    text: str, logprobs: list[float], evidence: list[Evidence], question: str = "", timings: dict | None = None
) -> Draft:
    """The draft for a generated answer: its parts aligned to evidence spans, numbers completed
    (for a question that asks how many, an enumeration's count taken for its items), and parts
    that only repeat ``question`` dropped when others say something (when all do, the refusal
    policy refuses). A bare yes or no (see :func:`bare`) becomes the clause it stands in,
    and so does every part of an answer to a yes-or-no question: a statement settles it, and a
    copied fragment (an article number, "补贴一半") states nothing."""
    if not text or prompts.NOT_FOUND in text:
        return Draft("generative", text=text, not_found=True, logprobs=logprobs, timings=timings or {})
    spans, missing = align(text, evidence)
    spans = [complete_span(span, evidence) for span in spans]
    question_asks = asks(question)
    if asks_a_count(question_asks) and not any(numbers_in(span.text) for span in spans):
        spans = [counted_span(span, evidence, question_asks.unit) for span in spans]
    if bare(question, text) or question_asks.kind == "yesno":
        spans = [clause_span(span, evidence) for span in spans]
    informative = [span for span in spans if not only_restates(span.text, question)]
    spans = informative or spans
    return Draft("generative", spans, text, False, missing, logprobs, timings=timings or {})
