"""Candidate answer spans inside one evidence sentence, and the features that rank them.

Candidates are the shapes answers take in Chinese government and legal text: a number with
its unit and qualifier ("8%以上", "三十日"), two figures joined by 和/、 ("7.6%和10.6%"), an
enumeration ("A、B、C", cut before 等; or list items, one per line), a quoted term, a noun
phrase, a clause, a run of clauses, the rest of a clause after the words the question repeats,
and the sentence itself.
:func:`candidate_features` describes each by general properties (its kind against what the
question asks, its distance to the question's words, how much of it the question already
says, ...); :class:`qa.answering.extractive.ExtractiveReader` weighs them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.answering.question import Asks, measures_asked, names_a_person
from qa.figures import number_spans, says_when
from qa.text import ARTICLE_LABEL, LIST_ITEM, ORDINAL_BEFORE, split_clauses, squash

ENUMERATION = re.compile(
    r"[^、，,。；;：:“”]{1,24}(?:、[^、，,。；;：:“”]{1,24})+(?:[和及与][^、，,。；;：:“”]{1,24})?"
)
QUOTED = re.compile(r"“[^”]{1,30}”")
# Two figures joined into one answer: "7.6%和10.6%", "三年或者五年", "二年以上七年以下" (a range
# with a joining mark, "18座至20座", is one figure already: qa.figures.number_spans).
PAIR_JOINER = re.compile(r"\s*(?:和|、|与|及|或者|或)?\s*")
DANGLING = re.compile(r"^[的和与及或而之等]|(?:[的和与及或等了]|或者)$")  # cut through a phrase
REFERENCE = re.compile(r"第[零〇一二三四五六七八九十百千\d]+[条款项章节编]")
LEADING_FILLER = re.compile(r"^(?:[，,、；;：:\s]|并且|并|而且|同时|其中|以及|以|对|在|将|要|把|由)+")
NOUN_FLAGS = ("n", "nr", "ns", "nt", "nz", "nrt", "ng", "j", "eng", "vn", "an")
# Each feature with the direction it may move a span's score (+1 up, -1 down, 0 either):
# the fit keeps a weight at 0 rather than let it take the other sign (an artefact of
# features that overlap, such as near and after_anchor).
FEATURE_SIGNS = {
    "sentence_score": 1,
    "sentence_rank": -1,
    "coverage": 1,
    "period": 1,
    "kind_number": 1,
    "kind_list": 1,
    "kind_noun": 1,
    "kind_clause": 1,
    "kind_person": 1,
    "unit_match": 1,
    "first_number": 0,
    "novelty": 1,
    "restates": -1,
    "near": 1,
    "after_anchor": 1,
    "before_anchor": 1,
    "near_distinct": 1,
    "after_distinct": 1,
    "length": 0,
    "clauses": 0,
    "answer_clause": 0,
    "clause_coverage": 1,
    "whole_sentence": 0,
    "reference": 0,
    "pair": 0,
    "head_match": 1,
    "dangling": -1,
}
FEATURES = tuple(FEATURE_SIGNS)


@dataclass(frozen=True)
class Candidate:
    start: int  # offsets inside the sentence
    end: int
    shape: str  # number, pair, list, quoted, noun, clause, clauses, rest, sentence


@lru_cache(maxsize=1)
def _posseg():
    import jieba.posseg

    return jieba.posseg


def _tagged(text: str) -> list[tuple[int, int, str, str]]:
    out, position = [], 0
    for pair in _posseg().cut(text):
        out.append((position, position + len(pair.word), pair.word, pair.flag))
        position += len(pair.word)
    return out


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    label = ARTICLE_LABEL.match(text[start:end])
    if label:
        start += label.end()
    piece = text[start:end]
    lead = LEADING_FILLER.match(piece)
    if lead:
        start += lead.end()
    piece = text[start:end]
    stripped = piece.strip(" \t\u3000，,。；;：:、").lstrip("”’").rstrip("“‘")  # no quote mark left open
    if not stripped:
        return None
    start += piece.find(stripped)
    return start, start + len(stripped)


def _etc_at(enumeration: str) -> int:
    """Where 等 ("and so on") closes an enumeration, as a word of its own (生物医药等产业), not
    inside one (一等奖, 平等); -1 when it does not."""
    return next((start for start, _, word, _ in _tagged(enumeration) if word in ("等", "等等")), -1)


def _first_item_start(sentence: str, start: int, end: int) -> int:
    """Where an enumeration's first item begins: the regex's first item often carries the words
    before it ("重点发展新材料、冰雪旅游"); keep its shortest tail of whole words that is as long
    as the shortest other item."""
    items = sentence[start:end].split("、")
    if len(items) < 2:  # cut at 等 before the second item
        return start
    shortest = min(len(item) for item in items[1:])
    words = _tagged(items[0])
    for i in range(len(words) - 1, -1, -1):
        if words[-1][1] - words[i][0] >= shortest:
            return start + words[i][0]
    return start


def candidates(sentence: str, question: str) -> list[Candidate]:
    """Every candidate span of ``sentence`` (deduplicated, sentence-relative offsets)."""
    found: dict[tuple[int, int], str] = {}

    def add(start: int, end: int, shape: str) -> None:
        span = _trimmed(sentence, start, end)
        if span and span not in found and span[1] - span[0] >= 1:
            found[span] = shape

    ordinal_asked = "第几" in question
    numbers = [(s, e) for s, e in number_spans(sentence) if ordinal_asked or sentence[s - 1 : s] != ORDINAL_BEFORE]
    for start, end in numbers:
        add(start, end, "number")
    for (a_start, a_end), (b_start, b_end) in zip(numbers, numbers[1:]):
        if PAIR_JOINER.fullmatch(sentence[a_end:b_start]):
            add(a_start, b_end, "pair")
    for match in ENUMERATION.finditer(sentence):
        cut = _etc_at(match.group())
        end = match.start() + (cut if cut > 0 else len(match.group()))
        add(match.start(), end, "list")
        first = _first_item_start(sentence, match.start(), end)
        if first > match.start():
            add(first, end, "list")
    if sum(1 for line in sentence.split("\n") if LIST_ITEM.match(line)) >= 2:
        add(0, len(sentence), "list")  # the items a sentence introduced, one per line (an item block)
    for match in QUOTED.finditer(sentence):
        add(match.start(), match.end(), "quoted")
    words = _tagged(sentence)
    run: list[tuple[int, int, str, str]] = []
    for word in words + [(len(sentence), len(sentence), "", "x")]:
        if word[3].startswith(NOUN_FLAGS) and word[2] not in question:
            run.append(word)
            continue
        if run and run[-1][1] - run[0][0] >= 2:
            add(run[0][0], run[-1][1], "noun")
        run = []
    clauses = split_clauses(sentence)
    # The rest of a clause starts where a word of the sentence starts, never inside a figure: a
    # question word inside a longer one ("2023" of "2023年2月10日") cuts through it.
    inside = {p for s, e in numbers for p in range(s + 1, e)}
    word_starts = {w[0] for w in words if w[0] not in inside} | {len(sentence)}
    for i, (start, end) in enumerate(clauses):
        add(start, end, "clause")
        for j in range(i + 1, min(i + 4, len(clauses))):
            add(start, clauses[j][1], "clauses")
        matched = [
            stop
            for t in _question_words(question)
            for m in re.finditer(re.escape(t), sentence[start:end])
            if (stop := repeated_until(sentence, start + m.end(), end, question, t)) in word_starts
        ]
        if matched:
            add(max(matched), end, "rest")
    add(0, len(sentence), "sentence")
    return [Candidate(s, e, shape) for (s, e), shape in found.items()]


def repeated_until(sentence: str, at: int, end: int, question: str, word: str) -> int:
    """Where the stretch of ``sentence`` that repeats the question stops, given that ``word`` of
    the question ends at ``at``: it runs on while the sentence goes on as the question does after
    that word (the question's "集中缴费期" over the sentence's "集中缴费期为…", where the word
    split gives only 集中/缴费), so that the rest of a clause never starts inside it."""
    longest = 0
    for m in re.finditer(re.escape(word), question):
        k = 0
        while at + k < end and m.end() + k < len(question) and sentence[at + k] == question[m.end() + k]:
            k += 1
        longest = max(longest, k)
    return at + longest


def announces(sentence: str, end: int) -> bool:
    """Whether a span ending at ``end`` is followed by a colon: words there announce what comes
    after them ("需提交以下材料：", "咨询电话：") and state none of it (a figure there still
    states itself: "主要任务有三项：")."""
    return sentence[end:].lstrip()[:1] in ("：", ":")


@lru_cache(maxsize=256)
def _question_words(question: str) -> tuple[str, ...]:
    from qa.index.lexical import tokenize

    return tuple(t for t in tokenize(question) if len(t) > 1)


def distinctive_anchors(sentence: str, question: str) -> list[tuple[int, int]]:
    """Where the question's words stand in the sentence, keeping only words that stand there once
    (a word repeated all over a sentence, such as 增长 in a list of growth targets, places nothing)."""
    anchors = []
    for word in _question_words(question):
        found = [(m.start(), m.end()) for m in re.finditer(re.escape(word), sentence)]
        if len(found) == 1:
            anchors += found
    return anchors


def candidate_features(
    candidate: Candidate,
    sentence: str,
    question: str,
    asks: Asks,
    sentence_score: float,
    sentence_rank: int,
    coverage: float,
    period: float = 0.0,
) -> list[float]:
    """The values of :data:`FEATURES` for one candidate (see the module docstring). ``period``:
    +1 when the sentence is about the period the question names, -1 when about another."""
    text = sentence[candidate.start : candidate.end]
    core = squash(text)
    in_question = sum(1 for ch in core if ch in question) / max(len(core), 1)
    every = [(m.start(), m.end()) for t in _question_words(question) for m in re.finditer(re.escape(t), sentence)]
    anchors = distinctive_anchors(sentence, question)
    outside = [a for a in every if a[1] <= candidate.start or a[0] >= candidate.end]
    distance = min((candidate.start - e if e <= candidate.start else s - candidate.end for s, e in outside), default=60)
    apart = [a for a in anchors if a[1] <= candidate.start or a[0] >= candidate.end]
    distinct_distance = min(
        (candidate.start - e if e <= candidate.start else s - candidate.end for s, e in apart), default=60
    )
    clause_spans = split_clauses(sentence)
    holder = next((c for c in clause_spans if c[0] <= candidate.start < c[1] + 1), None)
    answer_clause = bool(holder and any(holder[0] <= s < holder[1] for s, _ in every))
    clause_coverage = 0.0
    if holder:  # how much of the question the candidate's own clause says, around the candidate
        words = _question_words(question)
        around = sentence[holder[0] : candidate.start] + sentence[candidate.end : holder[1]]
        clause_coverage = sum(len(w) for w in words if w in around) / max(sum(len(w) for w in words), 1)
    shape = candidate.shape
    kind = asks.kind
    after = [e for _, e in anchors if e <= candidate.start]
    numbers_between = [n for n in number_spans(sentence) if after and max(after) <= n[0] < candidate.start]
    first_number = shape in ("number", "pair") and bool(after) and not numbers_between
    return [
        sentence_score,
        float(sentence_rank),
        coverage,
        period,
        float(shape in ("number", "pair") and (kind == "number" or (asks.when and says_when(text)))),
        float(shape in ("list", "pair", "quoted") and kind == "list"),
        float(shape in ("noun", "quoted") and kind in ("text", "person")),
        float(shape in ("clause", "clauses", "rest", "sentence") and kind in ("why", "how", "yesno", "text")),
        float(kind == "person" and names_a_person(text)),
        float(bool(asks.unit and asks.unit in text) or measures_asked(asks, text)),
        float(first_number and kind == "number"),
        1.0 - in_question,
        in_question,
        math.exp(-max(distance, 0) / 8.0),
        float(any(0 <= candidate.start - e <= 3 for _, e in every)),
        float(any(0 <= s - candidate.end <= 3 for s, _ in every)),
        math.exp(-max(distinct_distance, 0) / 8.0),
        float(any(0 <= candidate.start - e <= 3 for _, e in anchors)),
        math.log1p(len(core)),
        float(sum(1 for c in clause_spans if candidate.start <= c[0] and c[1] <= candidate.end)),
        float(answer_clause),
        clause_coverage,
        float(candidate.start == 0 and candidate.end >= len(sentence.rstrip("。；;！!？?")) - 1),
        float(bool(REFERENCE.search(text))),
        float(shape == "pair" and asks.parts),
        float(bool(asks.head) and (asks.head in text or core.endswith(asks.head[-1]))),
        float(bool(DANGLING.search(core)) or (announces(sentence, candidate.end) and not number_spans(text))),
    ]
