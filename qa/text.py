"""The Chinese-text vocabulary every stage shares: spaces, sentences and clauses, period
words, years, article labels and titles (figures, dates and units: :mod:`qa.figures`).

One place for each, so that ingestion, search and answering agree on what a sentence or
"去年" is. Nothing here knows any particular document.
"""

from __future__ import annotations

import re
from datetime import date

from qa.figures import CN_DIGITS

# -- spaces ----------------------------------------------------------------------------------
SPACE_BETWEEN = re.compile(r"(?<=[^\sA-Za-z])[ \t\u3000\xa0]+|[ \t\u3000\xa0]+(?=[^\sA-Za-z])")


def squeeze_spaces(text: str) -> str:
    """Drop spaces next to CJK characters, digits and punctuation ("400 万亩" → "400万亩");
    keep them between Latin words."""
    return SPACE_BETWEEN.sub("", text)


def squash(text: str) -> str:
    """All whitespace removed (for whitespace-insensitive comparison)."""
    return re.sub(r"\s+", "", text or "")


# -- sentences and clauses ----------------------------------------------------------------
SENTENCE_END = "。;；!！?？"
SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*(?:[{SENTENCE_END}]+[”’\"」』)）]*|\n|$)")
CLAUSE_MARKS = "，,、：:"
CLAUSE = re.compile(rf"[^{SENTENCE_END}，,\n]+")
# The mark that starts a list item: （一） (1) 一、 1. 1、 or a bullet.
LIST_ITEM_MARK = r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．](?=\D)|[•·●■◆▪-]\s)"
LIST_ITEM = re.compile(rf"^\s*{LIST_ITEM_MARK}")
# A sentence that introduces the items after it ("具备以下条款：", "下列费用由用人单位支付：").
INTRODUCES_ITEMS = re.compile(r"[:：]$")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """``[start, end)`` spans of sentences ending in 。;；!！?？ or a line break (closing quotes
    stay attached); surrounding whitespace is trimmed off each span, empty ones dropped."""
    spans = []
    for match in SENTENCE.finditer(text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            start = match.start() + (len(raw) - len(raw.lstrip()))
            spans.append((offset + start, offset + start + len(stripped)))
    return spans


def split_clauses(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the comma-separated clauses of ``text`` (whitespace trimmed)."""
    spans = []
    for match in CLAUSE.finditer(text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            start = match.start() + (len(raw) - len(raw.lstrip()))
            spans.append((offset + start, offset + start + len(stripped)))
    return spans


# -- periods ----------------------------------------------------------------------------------
# Words that name a period relative to a reference year (the document's or the question's
# "now"): (pattern, first-year offset, last-year offset). Longer phrases come first.
RELATIVE_PERIODS: tuple[tuple[re.Pattern, int, int], ...] = tuple(
    (re.compile(pattern), low, high)
    for pattern, low, high in (
        (r"(?:过去|近|这)五年(?:来|间|里|中)?|五年来|五年间", -5, -1),
        (r"(?:今后|未来|接下来)(?:的)?五年", 0, 4),
        (r"刚刚过去的一年|过去一年|一年来|去年|上一年|上年度|上年", -1, -1),
        (r"今年|本年度|本年", 0, 0),
        (r"前年", -2, -2),
        (r"明年|下一年", 1, 1),
    )
)
# "比上年增长" compares with a period; it does not say which period the text is about.
COMPARED = ("比", "较")
# "五年以后" names a point in time, not a span: "by the end of the next five years".
FIVE_YEARS_ON = re.compile(r"五年(?:以|之)?后")
YEAR_SPAN = re.compile(r"((?:19|20)\d{2})(?:年)?(?:\s*[—–-]\s*((?:19|20)\d{2}))?年")


def format_period(first: int, last: int) -> str:
    return f"{first}年" if first == last else f"{first}—{last}年"


def relative_period(text: str, year: int) -> tuple[int, int] | None:
    """The one period ``text`` names with relative words, as (first, last) years; None when it
    names none or several."""
    found = {
        (year + low, year + high)
        for pattern, low, high in RELATIVE_PERIODS
        for match in pattern.finditer(text)
        if text[max(match.start() - 1, 0) : match.start()] not in COMPARED
    }
    return found.pop() if len(found) == 1 else None


def resolve_relative_time(text: str, reference: date | None) -> str:
    """Replace relative period words with explicit years (今年 → 2022年, 过去五年 →
    过去五年(2017—2021年), 五年后 → 到2026年); unchanged without a reference date."""
    if reference is None:
        return text
    year = reference.year
    text = FIVE_YEARS_ON.sub(f"到{year + 4}年", text)
    for pattern, low, high in RELATIVE_PERIODS:

        def replace(match: re.Match, low=low, high=high) -> str:
            period = format_period(year + low, year + high)
            if low == high:
                return period
            word = "过去五年" if high < 0 else "今后五年"
            return f"{word}({period})"

        text = pattern.sub(replace, text)
    return text


def names_time(text: str) -> bool:
    """Whether ``text`` names a year or a relative period."""
    return bool(
        YEAR_SPAN.search(text)
        or FIVE_YEARS_ON.search(text)
        or any(pattern.search(text) for pattern, _, _ in RELATIVE_PERIODS)
    )


def years_named(text: str | None) -> frozenset[int]:
    """Years a text names: "2021年" → {2021}; "2017—2021年" → {2017, …, 2021}."""
    years: set[int] = set()
    for match in YEAR_SPAN.finditer(text or ""):
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        if first <= last <= first + 20:
            years.update(range(first, last + 1))
    return frozenset(years)


def single_years(text: str) -> frozenset[int]:
    """The years a text names one by one ("2021年"), not as the ends of a range ("2017—2021年")."""
    return frozenset(int(m[1]) for m in YEAR_SPAN.finditer(text) if not m[2])


# -- legal text -------------------------------------------------------------------------------
# The article number that opens an article ("第十二条　"): a label of where a rule stands, never
# part of what it says.
ARTICLE_LABEL = re.compile(rf"^第[{CN_DIGITS}\d]+条(?:之[一二三四五六七八九十]+)?[\s\u3000]*")
# An ordinal ("第三十五条", "第二批"): a number that names a place in a sequence, not an amount.
ORDINAL_BEFORE = "第"


# -- titles -----------------------------------------------------------------------------------
TITLE_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")  # "（节选）", "(2022年1月13日 …)"


def short_title(title: str) -> str:
    """A title without its trailing parenthetical notes (excerpt marks, dates, speakers)."""
    while TITLE_NOTE.search(title) and TITLE_NOTE.sub("", title):
        title = TITLE_NOTE.sub("", title)
    return title


# -- matching ---------------------------------------------------------------------------------
def longest_common_substring(a: str, b: str) -> tuple[int, int, int]:
    """(length, start in a, start in b) of the longest common substring of ``a`` and ``b``."""
    best = (0, 0, 0)
    previous = [0] * (len(b) + 1)
    for i, ca in enumerate(a):
        current = [0] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                if current[j] > best[0]:
                    best = (current[j], i + 1 - current[j], j - current[j])
        previous = current
    return best
