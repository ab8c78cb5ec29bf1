"""Extractive reader: the best supporting clause and the minimal answer span in it.

No Chinese extractive-QA model ships offline, so this is a scored heuristic:

1. Candidate clauses come from the retrieved passages (split at 。;；，, with exact
   document offsets). Each is scored by how much of the question's content it
   covers (jieba tokens, plus character bigrams for typos), by the retrieval rank,
   by whether it holds what the question asks for (a number for 多少/几, an
   enumeration for 哪些), and by the period the question names.
2. The answer span inside the winning clause comes from :mod:`qa.spans` (a number
   with unit and qualifier, an enumeration, a name or noun phrase, or the clause
   minus the question's words). For 为什么/怎样 questions whose clause only restates
   the question, the answer is the rest of the sentence before/after it.

:func:`read` returns a :class:`Reading` with offsets into the source document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa.chunking import split_sentences
from qa.lexical import tokenize
from qa.retrieval import Hit, period_adjustment, years_named
from qa.spans import entity_span, list_span, number_span, remainder_span

CLAUSE = re.compile(r"[^。;；，,!！?？]+")
NUMBER_Q = re.compile(r"多少|几|百分之|比重|比例|增长|增速|率|提高到")
LIST_Q = re.compile(r"哪些|哪几|哪[两三四五六七八九]|都有")
WHY_Q = re.compile(r"为什么|为何|什么原因|原因是")
HOW_Q = re.compile(r"怎样|怎么|如何")


@dataclass(frozen=True)
class Reading:
    answer: str  # exact text of the source document at [start, end)
    start: int
    end: int
    clause_start: int
    clause_end: int
    clause: str
    hit_index: int  # which retrieved hit supports it
    score: float
    coverage: float  # share of the question's content the clause covers (0..1)
    kind: str = "text"  # what the question asks for: number, list, why, how or text
    span_kind: str = "text"  # how the span was found: number, list, entity, context or text


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


def _coverage(question_tokens: list[str], question_bigrams: set[str], text: str) -> float:
    if not question_tokens:
        return 0.0
    text_tokens = set(tokenize(text))
    token_cover = sum(len(t) for t in question_tokens if t in text_tokens or t in text) / \
        sum(len(t) for t in question_tokens)
    bigram_cover = len(question_bigrams & _bigrams(text)) / max(len(question_bigrams), 1)
    return 0.6 * token_cover + 0.4 * bigram_cover


def _clauses(hit: Hit):
    """(start, end, text, sentence_start, sentence_end) of each clause, in document offsets."""
    chunk = hit.chunk
    for s_start, s_end in split_sentences(chunk.text):
        sentence = chunk.text[s_start:s_end]
        for match in CLAUSE.finditer(sentence):
            raw = match.group()
            text = raw.strip()
            if len(text) < 2:
                continue
            start = chunk.start + s_start + match.start() + (len(raw) - len(raw.lstrip()))
            yield start, start + len(text), text, chunk.start + s_start, chunk.start + s_end


def _context_span(kind: str, hit: Hit, start: int, end: int, s_start: int, s_end: int) -> tuple[int, int] | None:
    """For why: the sentence before the clause; for how: the sentence after it (document offsets)."""
    text, offset = hit.chunk.text, hit.chunk.start
    if kind == "why":
        span = text[s_start - offset:start - offset]
        left = s_start
    else:
        span = text[end - offset:s_end - offset]
        left = end
    stripped = span.strip(" ,，;；。、")
    if len(stripped) < 4:
        return None
    left += span.find(stripped)
    return left, left + len(stripped)


def answer_kind(question: str) -> str:
    """What the question asks for: "list", "number", "why", "how" or "text"."""
    if LIST_Q.search(question):
        return "list"
    if WHY_Q.search(question):
        return "why"
    if HOW_Q.search(question):
        return "how"
    if NUMBER_Q.search(question):
        return "number"
    return "text"


def read(question: str, hits: list[Hit], max_hits: int = 5, period_weight: float = 0.15) -> Reading | None:
    """Best clause and answer span for ``question`` (already normalized) among ``hits``."""
    tokens = tokenize(question)
    bigrams = _bigrams(question)
    kind = answer_kind(question)
    query_years = years_named(question)
    best: tuple[float, Reading] | None = None
    for index, hit in enumerate(hits[:max_hits]):
        context = hit.chunk.section[-1] if hit.chunk.section else ""
        for start, end, clause, s_start, s_end in _clauses(hit):
            coverage = _coverage(tokens, bigrams, clause)
            context_cover = _coverage(tokens, bigrams, context + clause)
            score = coverage + 0.3 * context_cover - 0.04 * index
            score += period_adjustment(query_years, hit.chunk.period, period_weight)
            span, span_kind = None, kind
            if kind == "number":
                span = number_span(question, clause)
                score += 0.15 if span else -0.3
            elif kind == "list":
                span = list_span(clause, question)
                score += 0.1 if span else 0.0
            else:
                span, span_kind = entity_span(question, clause), "entity"
                score += 0.1 if span else 0.0
            if span is None:
                span, span_kind = remainder_span(question, clause), "text"
            span = (start + span[0], start + span[1])
            if kind in ("why", "how") and span[1] - span[0] < 6:
                wider = _context_span(kind, hit, start, end, s_start, s_end)
                if wider:
                    span, span_kind = wider, "context"
            answer = hit.chunk.text[span[0] - hit.chunk.start:span[1] - hit.chunk.start]
            reading = Reading(answer, span[0], span[1], start, end, clause, index, score,
                              max(coverage, context_cover), kind, span_kind)
            if best is None or score > best[0]:
                best = (score, reading)
    return best[1] if best else None
