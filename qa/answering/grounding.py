"""Grounding: every answer is a set of exact spans of the evidence.

* :func:`locate` finds text in a source whitespace-insensitively ("3300公里" matches the
  document's "3300 公里") and returns the document's own characters.
* :func:`align` maps a generated answer (one or several parts) to evidence spans: an exact
  occurrence, else the longest common stretch when it covers most of the part.
* :func:`complete_span` widens a bare number to the unit and qualifier the source gives it
  ("1000个" → "1000个以上"); :func:`counted_span` takes the count an enumeration comes with.

Matching ignores whitespace, the width of punctuation ("，" matches ",") and 天/日 in
durations, and keeps the document's own characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.answering.evidence import Evidence
from qa.answering.question import Asks
from qa.figures import CALENDAR_YEAR, DATE, DIGITS, MEASURE_WORDS, UNIT, dimension, number_spans, numbers_in
from qa.text import ARTICLE_LABEL, longest_common_substring, split_clauses, squash

EDGE_PUNCT = "，。、；：？！“”‘’（）()《》,.;:?! \n\t\u3000"
PART_SPLIT = re.compile(r"[；;\n]+")
MIN_ALIGNED_SHARE = 0.6  # a part must share this much of its text with one evidence sentence


@dataclass(frozen=True)
class Span:
    """``evidence[sentence].text[start - e.start:end - e.start]``, in document offsets."""

    sentence: int  # index into the evidence list
    start: int
    end: int
    text: str
    exact: bool  # found verbatim (whitespace aside), not by a partial overlap


def trim_edges(text: str) -> str:
    return text.strip(EDGE_PUNCT)


SYNONYMS = {"天": "日"}  # 十五天 and 十五日 are the same span of days


def _fold(ch: str) -> str:
    """One character in its comparable form: NFKC when that stays one character (，→, （→(), and
    one of a pair of written synonyms."""
    folded = unicodedata.normalize("NFKC", ch)
    folded = folded if len(folded) == 1 else ch
    return SYNONYMS.get(folded, folded)


def _squashed_with_map(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and with punctuation folded, and each kept character's offset."""
    kept, positions = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            kept.append(_fold(ch))
            positions.append(i)
    return "".join(kept), positions


def _comparable(text: str) -> str:
    return _squashed_with_map(text)[0]


DIGIT_OR_POINT = "0123456789."
SPACED_FIGURES = re.compile(r"\d\s+\d")  # two numbers a space parts ("05 09:30")


def locate(needle: str, text: str) -> tuple[int, int] | None:
    """``[start, end)`` of ``needle`` in ``text`` ignoring whitespace, or None.

    A needle starting or ending with a digit only matches whole numbers ("5" is not
    found inside "500"), judged on ``text`` as written: a space parts two numbers ("05" is
    whole in "2041-01-05 09:30").
    """
    target = _comparable(needle)
    if not target:
        return None
    squashed, positions = _squashed_with_map(text)
    pattern, at = re.compile(re.escape(target)), 0
    while found := pattern.search(squashed, at):
        at = found.start() + 1  # overlapping occurrences too: "11" is whole in "111 11"
        start, end = positions[found.start()], positions[found.end() - 1] + 1
        cut_left = target[0].isdigit() and start > 0 and text[start - 1] in DIGIT_OR_POINT
        cut_right = target[-1].isdigit() and bool(re.match(r"[\d.]\d|\d", text[end : end + 2]))
        across = SPACED_FIGURES.search(text[start:end]) and not SPACED_FIGURES.search(needle)
        if not (cut_left or cut_right or across):
            return start, end
    return None


def longest_common_span(part: str, text: str) -> tuple[int, int, int]:
    """(length, start, end) in ``text`` of the longest stretch of ``part`` it contains
    (whitespace-insensitive)."""
    squashed, positions = _squashed_with_map(text)
    length, _, start = longest_common_substring(_comparable(part), squashed)
    if not length:
        return 0, 0, 0
    return length, positions[start], positions[start + length - 1] + 1


def answer_parts(generated: str) -> list[str]:
    """The parts of a generated answer ("5.1%；7.3%" → two), edges trimmed, empty ones dropped."""
    return [p for p in (trim_edges(x) for x in PART_SPLIT.split(generated)) if p]


def _span(evidence: list[Evidence], index: int, start: int, end: int, exact: bool) -> Span:
    e = evidence[index]
    return Span(index, e.start + start, e.start + end, e.text[start:end], exact)


def align_part(part: str, evidence: list[Evidence]) -> Span | None:
    """The evidence span a generated part states (see the module docstring), or None."""
    for index, sentence in enumerate(evidence):
        found = locate(part, sentence.text)
        if found:
            return _span(evidence, index, *found, exact=True)
    best = None
    for index, sentence in enumerate(evidence):
        length, start, end = longest_common_span(part, sentence.text)
        if length >= 2 and (best is None or length > best[0]):
            best = (length, index, start, end)
    if numbers_in(part):
        return None  # a figure is either stated as it stands or not at all
    if best and best[0] >= MIN_ALIGNED_SHARE * len(_comparable(part)):
        return _span(evidence, best[1], best[2], best[3], exact=False)
    return None


def align(generated: str, evidence: list[Evidence]) -> tuple[list[Span], list[str]]:
    """(spans, unaligned parts) of a generated answer; spans in the order the parts came. An
    enumeration the evidence does not state as a whole ("A、B、C" gathered from several places)
    is aligned item by item, and kept when most items are found."""
    spans, missing = [], []
    for part in answer_parts(generated):
        span = align_part(part, evidence)
        found = [span] if span is not None else []
        if span is None and "、" in part:
            items = [trim_edges(item) for item in part.split("、") if trim_edges(item)]
            found = [s for s in (align_part(item, evidence) for item in items) if s is not None]
            found = found if len(found) * 2 > len(items) else []
        if not found:
            missing.append(part)
        spans += [s for s in found if s not in spans]
    return spans, missing


def complete_span(span: Span, evidence: list[Evidence]) -> Span:
    """Widen a span that cuts a number expression to the whole expression (unit and qualifier)."""
    sentence = evidence[span.sentence]
    text, offset = sentence.text, sentence.start
    start, end = span.start - offset, span.end - offset
    for n_start, n_end in number_spans(text):
        if n_start <= start < n_end or (start <= n_start < end < n_end):
            start, end = min(start, n_start), max(end, n_end)
    if (start, end) == (span.start - offset, span.end - offset):
        return span
    return _span(evidence, span.sentence, start, end, span.exact)


COUNT_GAP = 2  # "A、B等3个": at most this many characters between items and their count (spaces aside)
COUNT_DIMENSIONS = (None, "people", "households")  # what a count counts: things, people, households
COUNTED = re.compile(rf"(?:{UNIT}|[{MEASURE_WORDS}])")


def counted_span(span: Span, evidence: list[Evidence], unit: str | None = None) -> Span:
    """The count that follows an enumeration, for a question that asks how many things (see
    :func:`asks_a_count`). Chinese states the items before their number ("新建东站、西站2个换乘
    中心", "甲乙丙等三所学校"), and a generator asked "几个" may copy the items instead: the
    figure at most COUNT_GAP characters (spaces aside) after the span, with no punctuation
    between, that counts something (a measure word, 人 or 户; ``unit`` when the question names
    one; never a date) replaces it. Otherwise the span is returned as it is."""
    sentence = evidence[span.sentence]
    end = span.end - sentence.start
    for start, stop in number_spans(sentence.text):
        gap, figure = sentence.text[end:start], sentence.text[start:stop]
        counts = (
            bool(COUNTED.search(figure))
            and not DATE.search(figure)
            and not CALENDAR_YEAR.search(figure)
            and dimension(COUNTED.findall(figure)[-1]) in COUNT_DIMENSIONS
            and (not unit or unit in figure)
        )
        if start >= end and len(re.sub(r"\s", "", gap)) <= COUNT_GAP and not re.search(r"[^\w\s]", gap) and counts:
            return _span(evidence, span.sentence, start, stop, True)
    return span


def asks_a_count(question_asks: Asks) -> bool:
    """Whether a question asks how many things or people (几个, 多少所, 多少人): a figure with no
    dimension of its own, or people or households; not a rate, money or a span of time."""
    return question_asks.kind == "number" and question_asks.dimension in COUNT_DIMENSIONS


def clause_span(span: Span, evidence: list[Evidence]) -> Span:
    """The span widened to the clause(s) of its sentence that hold it (between commas), without
    a leading article number: the statement a bare "不得" or "可以" stands in."""
    sentence = evidence[span.sentence]
    start, end = span.start - sentence.start, span.end - sentence.start
    holding = [c for c in split_clauses(sentence.text) if c[1] > start and c[0] < end]
    if not holding:
        return span
    start, end = min(start, holding[0][0]), max(end, holding[-1][1])
    lead = ARTICLE_LABEL.match(sentence.text[start:end])
    if lead and start + lead.end() < end:
        start += lead.end()
    return _span(evidence, span.sentence, start, end, span.exact)


def ungrounded_numbers(answer: str, source: str, allowed: str = "") -> list[str]:
    """Numbers in ``answer`` found neither in ``source`` nor in ``allowed`` (e.g. the question)."""
    # a mark no number runs across, between the texts and wherever a space parts two numbers
    haystack = squash(SPACED_FIGURES.sub(lambda m: m[0][0] + "|" + m[0][-1], source + "|" + allowed))
    source_digits = set(DIGITS.findall(haystack))
    return [n for n in numbers_in(answer) if (n not in source_digits if n.isascii() else n not in haystack)]


def only_restates(answer: str, question: str) -> bool:
    """True when the answer (punctuation aside) stands in the question as it is: "10" for
    "PM10浓度是多少", "二轮" for "第二轮督察整改了多少问题" add nothing."""
    core = _comparable(answer).strip(EDGE_PUNCT)
    return bool(core) and core in _comparable(question)


MAX_JOIN_GAP = 3  # parts this close in one sentence ("7.6%和10.6%") are cited as one span


def merge_spans(spans: list[Span], evidence: list[Evidence]) -> list[Span]:
    """Spans in source order, overlapping ones or ones only a short joiner apart merged."""
    ordered = sorted(spans, key=lambda s: (evidence[s.sentence].doc_id, s.start))
    merged: list[Span] = []
    for span in ordered:
        last = merged[-1] if merged else None
        if (
            last is not None
            and evidence[last.sentence].doc_id == evidence[span.sentence].doc_id
            and span.start - last.end <= MAX_JOIN_GAP
            and last.sentence == span.sentence
        ):
            end = max(last.end, span.end)
            merged[-1] = _span(
                evidence,
                last.sentence,
                last.start - evidence[last.sentence].start,
                end - evidence[last.sentence].start,
                last.exact and span.exact,
            )
        elif (
            last is not None
            and span.start < last.end
            and evidence[last.sentence].doc_id == evidence[span.sentence].doc_id
        ):
            continue  # inside the previous span (two overlapping sentences)
        else:
            merged.append(span)
    return merged


def joined_answer(spans: list[Span]) -> str:
    """The answer string: the spans' own text, joined with "；" when there are several."""
    return "；".join(span.text for span in spans)
