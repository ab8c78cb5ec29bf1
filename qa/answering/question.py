"""What a Chinese question asks for, read from its question words.

``asks("今年新建多少公里农村公路？")`` → ``Asks(kind="number", unit="公里", parts=False)``.
The kinds follow the interrogatives of Mandarin: 多少/几 (a quantity), 哪些/哪几/分别 (several
items), 谁 (a person), 为什么 (a reason), 怎么/如何 (a way), 吗/是否 and the A-not-A form of
any verb (能不能, 用不用, 交了没有: yes or no), and everything else (a name or a phrase). In
a question of several clauses, the last clause that asks something sets the kind; the clauses
before it set the scene ("过了多久还没发货，可以怎么办？" asks how, "几个邻居都说…，真是这样
吗？" asks yes or no).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.figures import DURATION_WORDS, MEASURE_WORDS, UNITS, dimension, dimensions_in

# 几 after 这/那/前/近 is a span of time (这几年, 近几天), not a count (收到后几日内 still counts);
# after 哪 it asks which ones (哪几种, 哪几项: a list)
SPAN_OF_TIME = r"(?<![这那前近哪])"
NUMBER_Q = re.compile(
    rf"多少|{SPAN_OF_TIME}几[个年天次项名所家条座户倍岁月日十百千万亿成]?|多大|多高|多长|多久|多远|多重|"
    r"百分之|比例|比重|占比|增速|增幅|年均|到多少|什么水平"
)
NAMED_FIGURE_Q = re.compile(r"(?:增长|目标|指标)[?？。!！]*$")  # no question word; ends naming a figure
LIST_Q = re.compile(r"哪些|哪几|都有|有什么|包括什么|分别|哪[两三四五六七八九十]|各是")
PERSON_Q = re.compile(r"谁|哪位|什么人|叫什么名字")
WHY_Q = re.compile(r"为什么|为何|什么原因|原因是|为了什么|目的是")
HOW_Q = re.compile(r"怎么|怎样|如何|什么办法|什么措施|哪些措施|做了什么|干了什么|咋")
# 吗 at the end, 是否, and the A-not-A question of any verb or adjective: 用不用, 有没有, a
# two-character word whole or by its first character (需要不需要, 合不合法), a verb and its object
# before it (交社保不交？), and the colloquial tags at the end (交了没有？ 有这条没有？ 能退不？).
# Idioms of the same shape that mean "often" or "cold" (动不动, 时不时, 爱理不理) ask nothing.
A_NOT_A = r"(?<![爱一])(?!动不动|时不时)([\u4e00-\u9fff]{1,2})[不没]\1"
YESNO_Q = re.compile(
    rf"吗[?？。!！]*$|是否|{A_NOT_A}|([\u4e00-\u9fff])[\u4e00-\u9fff]{{1,4}}不\2[?？。!！]*$"
    r"|(?:[了过]没有?|没有|不)[?？。!！]*$"
)
# A clause that asks which or what (哪个部门, 什么条件) asks for a name or a phrase, even with an
# A-not-A inside it ("交不交社保由哪个部门定？").
WHICH_OR_WHAT = re.compile(r"哪|什么|啥")
SEVERAL_Q = re.compile(r"分别|各(?:是|为|有|自|占)?(?:多少|几)|和.{1,12}(?:都|各)|哪[两三四五六七八九十]")
CLAUSE_BREAK = re.compile(r"[，,；;]")
ASKING_WORD = re.compile(r"^(?:哪|什么|啥)")
NAMING_AFTER = re.compile(r"^(?:叫什么|叫啥|是什么|是哪|是啥)")
WHEN_Q = re.compile(r"哪一?年|什么时候|何时|几月|哪天|什么时间|多会儿")
RATE_Q = re.compile(r"率|占比|比例|比重|百分之几|百分比|几成|占.{1,8}?多少")
# Question words that name the unit of their answer without a measure word: the price in
# everyday words (多少钱, 几块钱) asks for 元, a month (几月) for 月, a day (哪天, 几号) for 日.
IMPLIED_UNITS = (
    ("元", re.compile(r"多少钱|几块钱|多少块钱|多少费用|多少经费|多少资金|多少补贴|多少补助")),
    ("月", re.compile(r"几月|哪个月|哪一个月")),
    ("日", re.compile(r"哪天|哪一天|几号")),
)
# Question words that ask for a span of time without naming its unit: the answer is a duration
# (三十日, 6个月, 1-2小时, 两年), whatever unit the document counts it in.
DURATION_Q = re.compile(r"多久|多长时间|多少时间|多长的?(?:期限|时限|期间|时长)|(?:期限|时限|时长|期)(?:是|为|有)?多长")
UNIT_Q = re.compile(
    rf"(?:多少|{SPAN_OF_TIME}几)({'|'.join(sorted(map(re.escape, UNITS), key=len, reverse=True))}|[{MEASURE_WORDS}])"
)


@dataclass(frozen=True)
class Asks:
    kind: str  # "number", "list", "person", "why", "how", "yesno" or "text"
    unit: str | None = None  # the unit a 多少X question names ("公里", "个")
    parts: bool = False  # asks for several things at once ("分别", "A和B各多少")
    rate: bool = False  # asks for a rate or share (覆盖率, 占比, 百分之几): the answer is a percentage
    head: str = ""  # the thing asked for, when a question word names it (哪个区 → 区, 什么项目 → 项目)
    when: bool = False  # asks for a time (哪一年, 什么时候, 何时)
    names: frozenset[str] = frozenset()  # proper names it names (places, people, organizations)
    # what the figure asked for measures (qa.figures.DIMENSIONS): 多少元 → money, 多久 → duration
    dimension: str | None = None


PROPER_NAME_TAGS = frozenset({"ns", "nr", "nt", "nz"})  # jieba: place, person, organization, other name
# words that name something without asking about it: proper names (and jieba's finer name
# tags), time words, numerals, punctuation, modal particles, and the demonstratives a
# follow-up opens with
NAMING_TAGS = PROPER_NAME_TAGS | {"nrt", "nrfg", "t", "m", "x", "y"}
DEMONSTRATIVES = frozenset({"那", "这", "那么", "那个", "这个"})


def kind_of(question: str) -> str:
    """The kind one clause asks for, from its question words ("text" when it has none)."""
    if WHY_Q.search(question):
        return "why"
    if HOW_Q.search(question) and not NUMBER_Q.search(question):
        return "how"
    if NUMBER_Q.search(question) or NAMED_FIGURE_Q.search(question):
        return "number"
    if LIST_Q.search(question):
        return "list"
    if PERSON_Q.search(question):
        return "person"
    if YESNO_Q.search(question) and not WHICH_OR_WHAT.search(question):
        return "yesno"
    return "text"


def names_only(question: str) -> bool:
    """Whether ``question`` only names a place, person, organization, time or number and asks
    nothing about it ("青禾县", "明年", "2041年？"): no question word of any kind, and every
    word a name, a time, a number or a demonstrative."""
    import jieba.posseg

    if kind_of(question) != "text":
        return False
    words = [(w.word, w.flag) for w in jieba.posseg.cut(question) if w.word.strip()]
    return bool(words) and all(flag in NAMING_TAGS or word in DEMONSTRATIVES for word, flag in words)


def asks(question: str) -> Asks:
    """What ``question`` asks for (see the module docstring)."""
    unit = UNIT_Q.search(question)
    parts = bool(SEVERAL_Q.search(question))
    clauses = [c for c in CLAUSE_BREAK.split(question) if c.strip()]
    kinds = [kind for kind in map(kind_of, clauses) if kind != "text"]
    kind = kinds[-1] if kinds else "text"
    import jieba.posseg

    words = [(p.word, p.flag) for p in jieba.posseg.cut(question)]
    if unit and unit[1] == "年" and inside_a_word(words, unit.start(1), unit.end(1)):
        unit = None  # 多少年轻人, 几年级, 多少年龄: 年 begins a word of its own, no span of years
    unit_asked = unit[1] if unit else next((name for name, asked in IMPLIED_UNITS if asked.search(question)), None)
    rate = kind == "number" and bool(RATE_Q.search(question))
    measured = "rate" if rate else dimension(unit_asked or "")
    if kind == "number" and not measured and DURATION_Q.search(question):
        measured = "duration"
    return Asks(
        kind,
        unit_asked,
        parts,
        rate,
        head_noun(words),
        bool(WHEN_Q.search(question)),
        frozenset(w for w, flag in words if flag in PROPER_NAME_TAGS and len(w) >= 2),
        measured if kind == "number" else None,
    )


def measures_asked(question_asks: Asks, text: str) -> bool:
    """Whether ``text`` states a figure of the dimension asked (:data:`Asks.dimension`): its
    units say so (多少元 → "5亿元"), or, for a question of how long that names no unit, it
    states a span of time in years or words (多久 → "两年", "每季度"; 几年 still wants 年)."""
    wanted = question_asks.dimension
    if not wanted:
        return False
    if wanted in dimensions_in(text):
        return True
    return wanted == "duration" and not question_asks.unit and bool(DURATION_WORDS.search(text))


def inside_a_word(words: list[tuple[str, str]], start: int, end: int) -> bool:
    """Whether the word (of the question's segmentation, ``words``) holding ``question[start]``
    runs on past ``end``: the characters there begin a longer word."""
    position = 0
    for word, _ in words:
        if position <= start < position + len(word):
            return position + len(word) > end
        position += len(word)
    return False


def head_noun(words: list[tuple[str, str]]) -> str:
    """The noun a question word attaches to, from the question's (word, part of speech) pairs:
    the first noun after 哪/什么 (哪个区 → 区), or the last noun before 叫什么/是什么 (项目叫什么
    → 项目); "" when there is none."""
    for i, (word, _) in enumerate(words):
        if ASKING_WORD.match(word):
            for later, flag in words[i + 1 : i + 4]:
                if flag.startswith(("n", "vn")) and not ASKING_WORD.match(later):
                    return later
        rest = "".join(w for w, _ in words[i:])
        if NAMING_AFTER.match(rest):
            nouns = [w for w, f in words[:i] if f.startswith(("n", "vn"))]
            return nouns[-1] if nouns else ""
    return ""


PERSON_TAGS = ("nr", "nrfg")  # jieba: a person's name, and a given name it parts from the surname


def names_a_person(text: str) -> bool:
    """Whether ``text`` holds a person's name, what 谁 asks for: jieba's nr, or nrfg where it parts
    a given name from the surname ("林/志远"). Not nrt, which it also gives to "二人" and "伊拉克"."""
    import jieba.posseg

    return any(pair.flag in PERSON_TAGS for pair in jieba.posseg.cut(text))
