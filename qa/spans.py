"""Minimal answer spans inside one clause (offsets are relative to the clause).

* :func:`number_span`: the number with its unit and qualifier (8%以上, 3300 公里) that
  follows the question's words; for paired figures (城乡居民……增长7.6%和10.6%) the one
  the question's side names (农村 → the second).
* :func:`list_span`: a run of quoted terms or a 、-enumeration, cut at 等.
* :func:`entity_span`: a person (谁 → a name) or the noun phrase ending in the
  question's head noun (哪条街 → 恒山街, 什么样的中心城市 → 东北地区西部区域中心城市).
* :func:`remainder_span`: the clause minus what the question already says.
"""
from __future__ import annotations

import re
from functools import lru_cache

from qa.lexical import tokenize

NUMBER = re.compile(
    r"(?:\d+(?:\.\d+)?(?![\dA-Za-z.])|[一二两三四五六七八九十百千万亿]+(?=[个项户所处张部座条轮名家]))\s*"
    r"(?:%|‰|万亿元|亿元|万元|元|万亩|亩|万吨|吨|万人|人|万户|户|万千瓦|千瓦|公里|平方公里|万平方米|平方米|"
    r"个|项|户|所|处|张|部|座|条|轮|名|家|套|场|倍|年|分钟|天|辆|床|间|台|次|批|层|万头|头|万|亿)?"
    r"(?:\s*(?:以\s*上|以\s*内|以\s*下|左右|多))?"
)
ENUMERATION = re.compile(r"[^、，,。；;：:]+(?:、[^、，,。；;：:]+)+")
QUOTED_RUN = re.compile(r"(?:“[^”]{1,20}”\s*){2,}")
QUOTED = re.compile(r"“[^”]{1,20}”")
UNIT_Q = re.compile(r"多少(亿元|万元|万人|人|亩|万亩|吨|万吨|公里|个|项|户|所|处|套|场|家|名)")
EDGE_WORDS = re.compile(r"^(?:为|是|将|要|把|由|在|对|和|及|与|等|的|了|达|到|达到|实现|完成|累计|新增|新建|全部|均)+|"
                        r"(?:等|的|了|为|是|全部|等项目|等一批)+$")
PAIR_JOIN = re.compile(r"\s*(?:和|、|与)\s*")
PAIR_WORDS = re.compile(r"([\u4e00-\u9fff]{2,4})(?:和|与)([\u4e00-\u9fff]{2,4})")
CITY_COUNTRY = (("城镇", "城市", "城里", "市区"), ("农村", "乡村", "农民", "乡下"))
PERSON_Q = re.compile(r"谁|哪位|叫什么名字")
HEAD_Q = re.compile(r"(?:哪(?:一)?[个家条所座项部处]|什么样的|什么)(?P<head>[\u4e00-\u9fff]{1,4})|"
                    r"(?P<before>[\u4e00-\u9fff]{2})(?:是哪[个家条所座项部处]|叫什么)")
NOUN_FLAGS = ("n", "ns", "nr", "nt", "nz", "ng", "nrt", "j", "eng", "t", "f", "b", "x")
NOT_PART_OF_NAME = frozenset("新建 推进 建设 实施 支持 打造 推动 加快 建成 开展 创建 成为 落地 重点 全面 积极 扎实 "
                             "深入 持续 启动 谋划 完成 实现 建立 举办 开设 引进 培育 发展 等 和 及 与 、 , ， 。".split())


def number_span(question: str, clause: str) -> tuple[int, int] | None:
    """The number expression in the clause that best fits the question."""
    numbers = [m for m in NUMBER.finditer(clause) if m.group().strip()]
    if not numbers:
        return None
    wanted_unit = UNIT_Q.search(question)
    if wanted_unit:
        numbers = [m for m in numbers if wanted_unit[1] in m.group()] or numbers
    anchors = [m.end() for t in tokenize(question) if len(t) > 1 for m in re.finditer(re.escape(t), clause)]
    best = numbers[0]
    if anchors:
        def distance(m):  # the number right after the question's last matched words; else the nearest
            gaps = [m.start() - a for a in anchors if m.start() >= a]
            return min(gaps) if gaps else 1000 + min(abs(m.start() - a) for a in anchors)
        best = min(numbers, key=distance)
    best = pick_respective(question, clause, best, numbers)
    return best.start(), best.start() + len(best.group().rstrip())


def pick_respective(question: str, clause: str, chosen: re.Match, numbers: list[re.Match],
                    offset: int = 0) -> re.Match:
    """For "A和B……分别X和Y", the figure of the side the question names (matches may be
    positioned in a larger text that ``clause`` starts at ``offset`` of)."""
    position = next((i for i, m in enumerate(numbers) if m.start() == chosen.start()), None)
    if position is None:
        return chosen
    for first_i in (position, position - 1):
        if first_i < 0 or first_i + 1 >= len(numbers):
            continue
        a, b = numbers[first_i], numbers[first_i + 1]
        if not PAIR_JOIN.fullmatch(clause[a.end() - offset:b.start() - offset] or "x"):
            continue
        before = clause[:a.start() - offset]
        if "城乡" in before:
            first, second = CITY_COUNTRY
        else:
            pairs = PAIR_WORDS.findall(before)
            if not pairs:
                return chosen
            first, second = (pairs[-1][0],), (pairs[-1][1],)
        wants_first = any(w in question for w in first) and not any(w in question for w in second)
        wants_second = any(w in question for w in second) and not any(w in question for w in first)
        return a if wants_first else b if wants_second else chosen
    return chosen


def list_span(clause: str, question: str = "") -> tuple[int, int] | None:
    """Quoted terms or a 、-enumeration (cut at 等); else one quoted set name the question
    does not already say ("一羊一禽" names two clusters)."""
    for pattern in (QUOTED_RUN, ENUMERATION):
        runs = list(pattern.finditer(clause))
        if runs:
            best = max(runs, key=lambda m: len(m.group()))
            text = best.group()
            cut = text.find("等")
            end = best.start() + (cut if cut > 0 else len(text.rstrip()))
            return best.start(), end
    named = [m for m in QUOTED.finditer(clause) if m.group() not in question and m.group()[1:-1] not in question]
    return (named[0].start(), named[0].end()) if len(named) == 1 else None


@lru_cache(maxsize=1)
def _posseg():
    import jieba.posseg

    return jieba.posseg


def _tagged(clause: str) -> list[tuple[int, int, str, str]]:
    out, position = [], 0
    for pair in _posseg().cut(clause):
        out.append((position, position + len(pair.word), pair.word, pair.flag))
        position += len(pair.word)
    return out


def entity_span(question: str, clause: str) -> tuple[int, int] | None:
    """A person's name (谁) or the noun phrase ending in the question's head noun; None if absent."""
    if PERSON_Q.search(question):
        names = [(s, e) for s, e, word, flag in _tagged(clause) if flag == "nr" and word not in question]
        return names[0] if names else None
    match = HEAD_Q.search(question)
    head = (match["head"] or match["before"]) if match else ""
    head = re.sub(r"(?:是|要|呢|吗|的)+$", "", head)
    if not head:
        return None
    words = _tagged(clause)
    candidates = []
    for i, (start, end, word, _) in enumerate(words):
        if not (head.endswith(word) or word.endswith(head)):
            continue
        j = i
        while j > 0 and words[j - 1][3].startswith(NOUN_FLAGS) and words[j - 1][2] not in NOT_PART_OF_NAME:
            j -= 1
        span = (words[j][0], end)
        if len(clause[span[0]:span[1]]) > len(head):  # more than the head noun itself
            overlap = len(set(clause[span[0]:span[1]]) & set(question))
            candidates.append((overlap, span[1] - span[0], span))
    return max(candidates)[2] if candidates else None


def remainder_span(question: str, clause: str) -> tuple[int, int]:
    """The clause minus leading/trailing words that the question already contains."""
    question_tokens = set(tokenize(question))
    words = [(s, e, w) for s, e, w, _ in _tagged(clause)]
    if not words:
        return 0, len(clause)
    in_question = [w in question_tokens or (len(w) > 1 and w in question) for _, _, w in words]
    i, j = 0, len(words)
    while i < j and in_question[i]:
        i += 1
    while j > i and in_question[j - 1]:
        j -= 1
    start, end = (words[i][0], words[j - 1][1]) if i < j else (0, len(clause))
    span = clause[start:end]
    trimmed = EDGE_WORDS.sub("", span)
    if trimmed and trimmed in span:
        offset = span.find(trimmed)
        start, end = start + offset, start + offset + len(trimmed)
    return start, end
