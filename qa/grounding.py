"""Grounding checks: locate text in sources despite odd spaces, and verify numbers.

A reply may only state numbers that occur in the source it cites; an answer must
be an exact span of a source, found whitespace-insensitively ("3300公里" matches
the document's "3300 公里") and returned as the document's own characters.
"""
from __future__ import annotations

import re

DIGITS = re.compile(r"\d+(?:\.\d+)?")
CN_NUMBER = re.compile(r"[零一二两三四五六七八九十百千万亿]{1,6}(?=[个项户所处张部座条轮名家倍年次届])")
EDGE_PUNCT = "，。、；：？！“”‘’（）()《》,.;:?! \n\t"


def _squashed_with_map(text: str) -> tuple[str, list[int]]:
    kept, positions = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            kept.append(ch)
            positions.append(i)
    return "".join(kept), positions


def locate(needle: str, text: str) -> tuple[int, int] | None:
    """``[start, end)`` of ``needle`` in ``text`` ignoring whitespace, or None.

    A needle starting or ending with a digit only matches whole numbers ("5" is not
    found inside "500").
    """
    target = re.sub(r"\s+", "", needle)
    if not target:
        return None
    squashed, positions = _squashed_with_map(text)
    left = r"(?<![\d.])" if target[0].isdigit() else ""
    right = r"(?![\d.]\d|\d)" if target[-1].isdigit() else ""
    found = re.search(left + re.escape(target) + right, squashed)
    if not found:
        return None
    return positions[found.start()], positions[found.end() - 1] + 1


def longest_common_span(reply: str, text: str) -> tuple[int, int, int]:
    """(length, start, end) of the longest substring of ``reply`` found in ``text`` (whitespace-insensitive)."""
    r = re.sub(r"\s+", "", reply)
    squashed, positions = _squashed_with_map(text)
    best = (0, 0, 0)
    previous = [0] * (len(squashed) + 1)
    for ca in r:
        current = [0] * (len(squashed) + 1)
        for j, cb in enumerate(squashed, start=1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                if current[j] > best[0]:
                    best = (current[j], j - current[j], j)
        previous = current
    length, s, e = best
    if not length:
        return 0, 0, 0
    return length, positions[s], positions[e - 1] + 1


def numbers_in(text: str) -> list[str]:
    """Numbers a text states: digit runs (6, 11.9) and Chinese numerals before a measure word (两轮)."""
    return DIGITS.findall(text) + CN_NUMBER.findall(text)


def ungrounded_numbers(reply: str, source: str, allowed: str = "") -> list[str]:
    """Numbers in ``reply`` found neither in ``source`` nor in ``allowed`` (e.g. the question)."""
    haystack = re.sub(r"\s+", "", source + "\n" + allowed)
    source_digits = set(DIGITS.findall(haystack))
    missing = []
    for number in numbers_in(reply):
        if number.isascii():
            if number not in source_digits:
                missing.append(number)
        elif number not in haystack:
            missing.append(number)
    return missing


def trim_edges(text: str) -> str:
    return text.strip(EDGE_PUNCT)
