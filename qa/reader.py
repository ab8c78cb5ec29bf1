"""Extractive reader: the best supporting clause and the minimal answer span in it.

No Chinese extractive-QA model ships offline, so this is a scored heuristic:

1. Candidate clauses come from the retrieved passages (split at 。;；，, with exact
   document offsets). Each is scored by how much of the question's content it
   covers (jieba tokens, plus character bigrams for typos), by the retrieval rank,
   by whether it holds what the question asks for (a number for 多少/几, an
   enumeration for 哪些), and by the period the question names.
2. The answer span inside the winning clause is the number expression (with unit
   and 以上/以内 qualifiers) nearest the question's words, a 、-enumeration or run
   of quoted terms, or the clause minus the words the question already says.

:func:`read` returns a :class:`Reading` with offsets into the source document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qa.lexical import tokenize
from qa.retrieval import Hit, period_adjustment, years_named

CLAUSE = re.compile(r"[^。;；，,!！?？]+")
NUMBER = re.compile(
    r"(?:\d+(?:\.\d+)?(?![\dA-Za-z.])|[一二两三四五六七八九十百千万亿]+(?=[个项户所处张部座条轮名家]))\s*"
    r"(?:%|‰|万亿元|亿元|万元|元|万亩|亩|万吨|吨|万人|人|万户|户|万千瓦|千瓦|公里|平方公里|万平方米|平方米|"
    r"个|项|户|所|处|张|部|座|条|轮|名|家|套|场|倍|年|分钟|天|辆|床|间|台|次|批|层|万头|头|万|亿)?"
    r"(?:\s*(?:以\s*上|以\s*内|以\s*下|左右|多))?"
)
ENUMERATION = re.compile(r"[^、，,。；;：:]+(?:、[^、，,。；;：:]+)+")
QUOTED_RUN = re.compile(r"(?:“[^”]{1,20}”\s*){2,}")
NUMBER_Q = re.compile(r"多少|几|百分之|比重|比例|增长|增速|率|提高到")
LIST_Q = re.compile(r"哪些|哪几|哪[两三四五六七八九]|都有")
UNIT_Q = re.compile(r"多少(亿元|万元|万人|人|亩|万亩|吨|万吨|公里|个|项|户|所|处|套|场|家|名)")
EDGE_WORDS = re.compile(r"^(?:为|是|将|要|把|由|在|对|和|及|与|等|的|了|达|到|达到|实现|完成|累计|新增|新建|全部|均)+|"
                        r"(?:等|的|了|为|是|全部|等项目|等一批)+$")


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
    kind: str = "text"  # what the question asks for: number, list or text
    span_kind: str = "text"  # how the span was found: number, list or text (the clause's remainder)


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
    chunk = hit.chunk
    for match in CLAUSE.finditer(chunk.text):
        raw = match.group()
        text = raw.strip()
        if len(text) < 2:
            continue
        start = chunk.start + match.start() + (len(raw) - len(raw.lstrip()))
        yield start, start + len(text), text


def _number_span(question: str, clause: str) -> tuple[int, int] | None:
    """The number expression in the clause that best fits the question (offsets in clause)."""
    numbers = [m for m in NUMBER.finditer(clause) if m.group().strip()]
    if not numbers:
        return None
    wanted_unit = UNIT_Q.search(question)
    if wanted_unit:
        with_unit = [m for m in numbers if wanted_unit[1] in m.group()]
        numbers = with_unit or numbers
    anchors = [m.end() for t in tokenize(question) if len(t) > 1 for m in re.finditer(re.escape(t), clause)]
    if not anchors:
        best = numbers[0]
    else:
        # the number right after the question's last matched words; else the nearest one
        def distance(m):
            gaps = [m.start() - a for a in anchors if m.start() >= a]
            return min(gaps) if gaps else 1000 + min(abs(m.start() - a) for a in anchors)
        best = min(numbers, key=distance)
    text = best.group()
    return best.start(), best.start() + len(text.rstrip())


def list_span(clause: str) -> tuple[int, int] | None:
    for pattern in (QUOTED_RUN, ENUMERATION):
        runs = list(pattern.finditer(clause))
        if runs:
            best = max(runs, key=lambda m: len(m.group()))
            text = best.group()
            cut = text.find("等")
            end = best.start() + (cut if cut > 0 else len(text.rstrip()))
            return best.start(), end
    return None


def _remainder_span(question: str, clause: str) -> tuple[int, int]:
    """The clause minus leading/trailing words that the question already contains."""
    question_tokens = set(tokenize(question))
    start, end = 0, len(clause)
    pieces = list(re.finditer(r"\S+", clause))
    if not pieces:
        return start, end
    import jieba

    words = []
    position = 0
    for word in jieba.lcut(clause):
        words.append((position, position + len(word), word))
        position += len(word)
    in_question = [w in question_tokens or (len(w) > 1 and w in question) for _, _, w in words]
    i, j = 0, len(words)
    while i < j and in_question[i]:
        i += 1
    while j > i and in_question[j - 1]:
        j -= 1
    if i < j:
        start, end = words[i][0], words[j - 1][1]
    span = clause[start:end]
    trimmed = EDGE_WORDS.sub("", span)
    if trimmed and trimmed in span:
        offset = span.find(trimmed)
        start, end = start + offset, start + offset + len(trimmed)
    return start, end


def answer_kind(question: str) -> str:
    """What the question asks for: "list", "number" or "text"."""
    if LIST_Q.search(question):
        return "list"
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
        for start, end, clause in _clauses(hit):
            coverage = _coverage(tokens, bigrams, clause)
            context_cover = _coverage(tokens, bigrams, context + clause)
            score = coverage + 0.3 * context_cover - 0.04 * index
            score += period_adjustment(query_years, hit.chunk.period, period_weight)
            span, span_kind = None, kind
            if kind == "number":
                span = _number_span(question, clause)
                score += 0.15 if span else -0.3
            elif kind == "list":
                span = list_span(clause)
                score += 0.1 if span else 0.0
            if span is None:
                span, span_kind = _remainder_span(question, clause), "text"
            reading = Reading(clause[span[0]:span[1]], start + span[0], start + span[1], start, end,
                              clause, index, score, max(coverage, context_cover), kind, span_kind)
            if best is None or score > best[0]:
                best = (score, reading)
    return best[1] if best else None
