"""Figures in Chinese text: numbers with their units, bounds and qualifiers, dates and ranges,
what a unit measures, and the words that say when.

``number_spans("新建农村公路85公里，延时开放1-2小时")`` gives the spans of "85公里" and "1-2小时".
Used by ingest (dates), the question reader, both readers, grounding and the refusal policy;
:mod:`qa.text` keeps sentences, spaces, periods and titles.
"""

from __future__ import annotations

import re
from functools import lru_cache

# -- numbers and measure words -----------------------------------------------------------------
CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
# Measure words and units that follow a count or an amount in Chinese government and legal text.
UNITS = (
    "%",
    "‰",
    "个百分点",
    "万亿元",
    "亿元",
    "万元",
    "元",
    "万亩",
    "亩",
    "万吨",
    "吨",
    "万人次",
    "万人",
    "人次",
    "人",
    "万户",
    "户",
    "万千瓦",
    "千瓦",
    "公里",
    "平方公里",
    "万平方米",
    "平方米",
    "米",
    "倍",
    "周岁",
    "岁",
    "个月",
    "个工作日",
    "工作日",
    "日",
    "天",
    "小时",
    "分钟",
    "年",
    "万头",
    "头",
    "万只",
    "只",
    "万",
    "亿",
)
MEASURE_WORDS = "个项户所处张部座条轮名家套场辆床间台次批层届种类级位件份"
QUALIFIERS = r"(?:以\s*上|以\s*内|以\s*下|左右|多|余)"
# Words before a figure that bound it: "突破20个" says more than 20, "不超过六个月" at most six.
# They belong to the figure as its trailing qualifiers do ("20个以上"). Verbs that only link a
# subject to its figure (达到, 为, 是) do not: "产量达到100万吨" states 100万吨.
BOUNDS = r"(?:超过|突破|不少于|不低于|不超过|不高于|不足|不到|多于|少于|高于|低于|逾|约|将近|接近)"
_UNIT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
UNIT = rf"(?:{_UNIT})"  # any of UNITS, the longest first
NUMBER = re.compile(
    rf"(?:{BOUNDS}\s*)?"
    rf"(?:[{CN_DIGITS}]+连[\u4e00-\u9fff](?=\W|$)|\d+(?:\.\d+)?(?![\dA-Za-z.])|百分之[{CN_DIGITS}点\d.]+|"
    rf"[{CN_DIGITS}]+(?=[{MEASURE_WORDS}]|{_UNIT}|倍))\s*"
    rf"(?P<unit>{_UNIT}|[{MEASURE_WORDS}])?(?:\s*{QUALIFIERS})?"
)
DIGITS = re.compile(r"\d+(?:\.\d+)?")
# What each unit measures: a figure in one dimension never answers a question about another
# ("多少元" is not answered by "6.5%"). Bare 万/亿 and 年 (a duration or a year) say nothing; a
# number of years counts as a span of time only where no unit is named (DURATION_WORDS).
DIMENSIONS = {
    "rate": ("%", "‰", "倍", "个百分点"),
    "money": ("元",),
    "area": ("亩", "平方公里", "平方米"),
    "weight": ("吨",),
    "people": ("人", "人次"),
    "households": ("户",),
    "power": ("千瓦",),
    "length": ("公里", "米"),
    "age": ("岁", "周岁"),
    "duration": ("个月", "工作日", "日", "天", "小时", "分钟"),
}
_DIMENSION_OF = sorted(((u, d) for d, units in DIMENSIONS.items() for u in units), key=lambda p: -len(p[0]))


CALENDAR_YEAR = re.compile(r"(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年")  # 2022年, 二〇二二年: a date
# A span of time that no unit of DIMENSIONS states: a number of years (两年, 3年; not the calendar
# year 2041年, nor 年级/年龄), or words (每月, 每季度, 半年). It answers "多久", which names no unit.
DURATION_WORDS = re.compile(
    r"(?<![\d〇零一二两三四五六七八九十])(?:\d{1,3}|[一二两三四五六七八九十]{1,3})\s*年(?![级龄轻])"
    r"|每个?(?:季度|年|月|周|星期|天|日)|半个?(?:年|月|天|日|小时)"
)


def dimension(unit: str) -> str | None:
    """What ``unit`` measures ("万亿元" → "money", "%" → "rate"); None when it does not say."""
    unit = unit.strip()
    for suffix, name in _DIMENSION_OF:
        if unit.endswith(suffix):
            return name
    return None


def dimensions_in(text: str) -> set[str]:
    """The dimensions of the figures ``text`` states (a figure with no known unit adds none, nor
    does a date: "3月15日")."""
    found = set()
    dates = [(m.start(), m.end()) for m in DATE.finditer(text)]
    for match in NUMBER.finditer(text):
        if any(s <= match.start() < e for s, e in dates):
            continue  # a date measures nothing, though its 日 is a unit of time
        name = "rate" if "百分之" in match.group() else dimension(match["unit"] or "")
        if name:
            found.add(name)
    return found


CN_COUNT = re.compile(rf"[{CN_DIGITS}]{{1,6}}(?=[{MEASURE_WORDS}]|{_UNIT})|[{CN_DIGITS}]{{1,4}}连[\u4e00-\u9fff]")


PERCENT_CN = re.compile(rf"百分之[{CN_DIGITS}点]+")


def numbers_in(text: str) -> list[str]:
    """Numbers a text states: digit runs (6, 11.9), Chinese numerals counting something (两轮,
    三个月), Chinese percentages (百分之五十) and streaks (五连冠: five in a row)."""
    return DIGITS.findall(text) + PERCENT_CN.findall(text) + CN_COUNT.findall(text)


# A calendar date, in digits or Chinese numerals: "2023年2月10日", "二〇二四年一月一日", "3月15日",
# and a month in digits ("9月").
# One figure: its year, month and day answer "哪天" together, and none stands alone.
_YEAR = rf"{CALENDAR_YEAR.pattern}\s*"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月"
_DAY = r"(?:3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号]"
DATE = re.compile(
    rf"(?<![\d.]){_YEAR}{_MONTH}(?:\s*{_DAY})?|(?<![\d.年]){_MONTH}\s*{_DAY}|(?<![\d.年])(?:1[0-2]|0?[1-9])\s*月份?(?!\d)"
)


TIME_WORD = re.compile(r"[年月日周旬前后底初末]|季度|小时|时候|期间|之内|以内")


def says_when(text: str) -> bool:
    """Whether ``text`` can answer "when": a year or date ("2023年", "9月"), or a word of time
    (季度末, 上岗前, 三日内). Wider than :func:`names_time`, which only knows years and periods."""
    return bool(TIME_WORD.search(text))


# What joins the two ends of a range ("1-2小时", "3至5年", "5%—6%", "三到五年", "2021——2025年"):
# one mark or word, spaces around it aside. A verb before 到 ("增加到") makes it no joiner, since
# then the text between the figures is more than the mark.
RANGE_MARKS = "-－—–~～至到"
RANGE_JOINER = re.compile(rf"\s*(?:——|[{RANGE_MARKS}])\s*")
# The first end of a range in Chinese numerals, which names no unit of its own ("三到五年").
CN_RANGE_START = re.compile(rf"(?<![{CN_DIGITS}\d])[{CN_DIGITS}]+{RANGE_JOINER.pattern}$")
# A change before "A至B" reads "by A, to B": "下降0.3个百分点至5.0%", "减少0.5万人至123万人".
CHANGE_BEFORE = re.compile(r"(?:增长|增加|提高|提升|上升|上涨|下降|降低|减少|下跌|回落|压减|压缩|扩大|缩小)\s*$")
CLOCK_BEFORE, CLOCK_AFTER = re.compile(r"\d\s*[:：]\s*$"), re.compile(r"\s*[:：]\s*\d")  # 9:00-17:00
CALENDAR_UNITS = frozenset({"年", "月", "月份", "日", "号"})  # "2023年至2024年6月" is one span of time
TRAILING_QUALIFIER = re.compile(rf"(?:\s*{QUALIFIERS})+$")


def _unit_of(figure: str) -> str:
    """What a figure counts in: the characters after its last digit, qualifiers aside ("20座以上"
    → 座, "5.0%" → %, "3" → "")."""
    core = TRAILING_QUALIFIER.sub("", figure)
    return re.sub(rf"^.*[{CN_DIGITS}\d]", "", core).strip()


def _one_range(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two figures with only a range mark between them are one range: the first names no
    unit, or the second's, or both name dates ("3-5天", "20座至30座", "3月1日至3月31日"); neither is a
    clock time; and no change comes before them ("下降0.3个百分点至5.0%": by, then to)."""
    joiner = RANGE_JOINER.fullmatch(text, first[1], second[0])
    if not joiner or CLOCK_BEFORE.search(text, 0, first[0]) or CLOCK_AFTER.match(text, second[1]):
        return False
    if joiner.group().strip() in ("至", "到") and CHANGE_BEFORE.search(text, 0, first[0]):
        return False
    units = {_unit_of(text[start:end]) for start, end in (first, second)}
    return "" in units or len(units) == 1 or units <= CALENDAR_UNITS


def _ends_a_word(text: str, at: int) -> bool:
    """Whether the numeral at ``text[at]`` ends a word that starts before it (统一, 之一, 唯一 in
    jieba's dictionary): then it counts nothing."""
    import jieba

    jieba.dt.check_initialized()
    return any(jieba.dt.FREQ.get(text[max(at - k, 0) : at + 1]) for k in (1, 2) if at - k >= 0)


def number_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each number with its bound, unit and qualifier ("8%以上", "3300 公里",
    "三十日", "突破20个"); a date ("2023年2月10日") is one, and so is a range ("1-2小时", "3至5年",
    "3月1日至3月31日", see :func:`_one_range`): either end alone misstates it."""
    return list(_number_spans(text))


@lru_cache(maxsize=4096)  # the extractive reader asks again for every candidate span of a sentence
def _number_spans(text: str) -> tuple[tuple[int, int], ...]:
    dates = [(m.start(), m.end()) for m in DATE.finditer(text)]
    spans = sorted(
        dates
        + [
            (m.start(), m.start() + len(m.group().rstrip()))
            for m in NUMBER.finditer(text)
            if m.group().strip() and not any(s <= m.start() < e for s, e in dates)
        ]
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _one_range(text, merged[-1], (start, end)):
            merged[-1] = (merged[-1][0], end)
            continue
        mark = text[max(start - 3, 0) : start].rstrip()[-1:]  # only a range mark ends a bare first end
        bare = (
            mark
            and mark in RANGE_MARKS
            and CN_RANGE_START.search(text, max(merged[-1][1] if merged else 0, start - 12), start)
        )
        first = bare.start() if bare and not _ends_a_word(text, bare.start()) else start
        merged.append((first, end))
    return tuple(merged)
