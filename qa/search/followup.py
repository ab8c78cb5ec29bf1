"""Follow-up questions made standalone before retrieval.

:func:`depends_on_history` decides whether a question needs the conversation: it opens
with a pronoun or demonstrative (它/这个/该/其…), it is "X呢" (a topic or time swap), or it
is a short fragment without a subject of its own ("要交多少？", "谁来管？"). A complete
question stays as it is, even when it opens with 那/还有/另外.

:class:`FollowupRewriter` rewrites a dependent question into one standalone question with the
generator (few-shot prompt, :data:`REWRITE_EXAMPLES`); without a generator, or when its
rewrite is unusable (two questions side by side is not one), it falls back to rules: swap
the previous question's most similar term (or time) for the new topic, or prefix what the
previous question was about, without what it asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.figures import MEASURE_WORDS, UNIT
from qa.index.lexical import tokenize
from qa.text import FIVE_YEARS_ON, RELATIVE_PERIODS, YEAR_SPAN, names_time, squash

PRONOUN = re.compile(
    r"^(?:那么?|还有|另外)?\s*(?:它们?|他们|她们|这个|那个|这些|那些|该|其|此|这项|这一|这种|那种|"
    r"上述|这样|这事|这笔|这笔钱|这钱|这)"
)
SWAP = re.compile(r"^(?:那么?|还有|另外|再问一下)?\s*(?P<topic>.{1,14}?)\s*(?:呢|怎么样|如何)\s*[?？。!！]*$")
OPENER = re.compile(r"^(?:那么?|还有|另外|再问一下|再问|那请问)[，,\s]*")
QUESTION_WORDS = frozenset(
    [
        "多少",
        "几",
        "哪些",
        "哪个",
        "哪里",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "谁",
        "吗",
        "呢",
        "是否",
        "能否",
        "可以",
        "能",
        "要",
        "会",
    ]
)
SHORT_FRAGMENT = 12  # characters: a question this short with one common noun leans on the one before


def previous_question(history) -> str | None:
    """The last user question in ``history`` (its standalone form when recorded): dicts with
    "rewritten"/"question", chat messages ({"role": "user", "content"}), or (question, answer) pairs."""
    for turn in reversed(list(history or [])):
        if isinstance(turn, dict):
            if turn.get("rewritten") or turn.get("question"):
                return turn.get("rewritten") or turn.get("question")
            if turn.get("role") == "user" and turn.get("content"):
                return turn["content"]
        elif isinstance(turn, (list, tuple)) and turn and turn[0]:
            return str(turn[0])
    return None


def topic_words(question: str) -> list[str]:
    """The question's content words: not question words, not time words."""
    return [t for t in tokenize(OPENER.sub("", question)) if t not in QUESTION_WORDS and not names_time(t)]


def nouns(text: str, flags: tuple[str, ...] = ("n", "vn", "eng")) -> list[tuple[int, str]]:
    """(offset, word) of the nouns in ``text`` (jieba's n*, vn and English words; time words aside)."""
    import jieba.posseg

    out, position = [], 0
    for pair in jieba.posseg.cut(text):
        if pair.flag.startswith(flags) and pair.word not in QUESTION_WORDS and not names_time(pair.word):
            out.append((position, pair.word))
        position += len(pair.word)
    return out


def depends_on_history(question: str) -> bool:
    """Whether ``question`` cannot be understood without the previous one (see module docstring)."""
    text = question.strip()
    if PRONOUN.match(text):
        return True
    swap = SWAP.match(text)
    if swap and not any(w in swap["topic"] for w in ("多少", "几", "什么", "哪", "谁", "怎么", "如何")):
        return True
    core = OPENER.sub("", text).rstrip("?？。!！ ")
    own = [w for _, w in nouns(core) if len(w) >= 2]
    if not own:
        return True  # no subject or object of its own: "那前年一共办了几场？"
    named = nouns(core, ("nr", "ns", "nt", "nz"))
    # a short question whose only topic is one common two-character noun: "明年的任务是什么？"
    return len(core) <= SHORT_FRAGMENT and len("".join(own)) <= 2 and not named


@dataclass(frozen=True)
class Rewrite:
    question: str  # the standalone question
    how: str  # "as is", "generator" or "rules"


def _swap_topic(previous: str, topic: str) -> str:
    """Replace the previous question's term most like ``topic`` (shared characters) by ``topic``."""
    if names_time(topic) and len(topic) <= 8:
        from qa.text import RELATIVE_PERIODS, YEAR_SPAN

        for pattern in (YEAR_SPAN, *(p for p, _, _ in RELATIVE_PERIODS)):
            if pattern.search(previous):
                return pattern.sub(topic, previous, count=1)
        return f"{topic}{previous}"
    # a topic takes the place of a noun ("开设" shares 设 with "日间照料设施", but is no topic)
    terms = [w for _, w in nouns(previous, NOUN_FLAGS) if len(w) >= 2]
    scored = [(len(set(t) & set(topic)) + (t[-1] == topic[-1]), len(t), t) for t in terms]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return previous.replace(max(scored)[2], topic, 1)
    phrase = last_noun_phrase(previous)
    if phrase:  # no look-alike: the topic replaces the previous question's last noun phrase,
        start, end = phrase  # and the measure word or unit asked with the old topic goes ("几座" → "多少")
        return ASKED_MEASURE.sub("多少", previous[:start]) + topic + ASKED_MEASURE.sub("多少", previous[end:])
    return f"{topic}：{previous}"


ASKED_MEASURE = re.compile(rf"(多少|几)(?:[{MEASURE_WORDS}]|{UNIT})")
# nouns, verbal nouns, places, attributives (乡村, 农村, 公共), fixed expressions (老年大学)
NOUN_FLAGS = ("n", "vn", "s", "b", "l")


def last_noun_phrase(text: str) -> tuple[int, int] | None:
    """(start, end) of the last run of adjacent nouns in ``text`` that ends in a noun of two
    characters or more, time words aside: "新建多少座乡村图书馆" → "乡村图书馆"."""
    import jieba.posseg

    runs, position, run = [], 0, None
    for pair in jieba.posseg.cut(text):
        end = position + len(pair.word)
        if pair.flag.startswith(NOUN_FLAGS) and pair.word not in QUESTION_WORDS and not names_time(pair.word):
            run = (run[0] if run else position, end, pair.word)
        else:
            if run:
                runs.append(run)
            run = None
        position = end
    if run:
        runs.append(run)
    runs = [r for r in runs if len(r[2]) >= 2]
    return (runs[-1][0], runs[-1][1]) if runs else None


# What a question asks, as opposed to what it is about: "几座", "是多少", "多久", "哪儿", "吗".
ASKED = re.compile(
    rf"(?:是|有)?(?:多少(?:{UNIT}|[{MEASURE_WORDS}])?|几(?!年)(?:{UNIT}|[{MEASURE_WORDS}])|多[久长大高])(?:之内|以内|内)?"
    r"|什么|哪[天年月里儿个些种家级]?|(?:由|是|被)?谁|怎么样?|如何|是否|[吗呢]$"
)


def unclosed(question: str) -> str:
    """``question`` without its closing marks (？ 。 ！ and spaces)."""
    return re.sub(r"[?？。!！\s]+$", "", question)


def about(question: str) -> str:
    """What ``question`` is about: its words without what it asks or its closing marks
    ("青禾县今年新建几座书屋？" → "青禾县今年新建书屋")."""
    return ASKED.sub("", unclosed(question))


def rewrite_by_rules(question: str, previous: str) -> str:
    """The rule-based standalone form of a dependent question: a topic or time swapped into the
    previous question, or what the previous question was about put before this one (never what
    it asked: the reader would answer that too)."""
    text = question.strip()
    swap = SWAP.match(text)
    if swap:
        return _swap_topic(previous, swap["topic"].strip())
    topic = about(previous)
    if names_time(text):  # the new question's own time replaces the previous one's
        for pattern in (YEAR_SPAN, FIVE_YEARS_ON, *(p for p, _, _ in RELATIVE_PERIODS)):
            topic = pattern.sub("", topic)
        topic = re.sub(r"[（(]\s*[）)]", "", topic)  # the brackets a recorded "过去五年(2017—2021年)" leaves
    return f"{topic}，{OPENER.sub('', text)}"


class FollowupRewriter:
    """Component: ``run(question, history) -> Rewrite``. ``generator`` is optional."""

    def __init__(self, generator=None, max_new_tokens: int = 48) -> None:
        self.generator = generator
        self.max_new_tokens = max_new_tokens

    def warm_up(self) -> None:
        if self.generator is not None:
            self.generator.warm_up()

    def standalone_history(self, history) -> str | None:
        """The previous question in standalone form: as recorded ("rewritten"), or resolved
        turn by turn when the history holds only what was asked."""
        turns = list(history or [])
        if not turns or not isinstance(turns[-1], dict) or turns[-1].get("rewritten") or len(turns) == 1:
            return previous_question(turns)
        resolved = None
        for turn in turns:
            asked = previous_question([turn])
            if asked:
                resolved = self.run(asked, [{"rewritten": resolved}] if resolved else []).question
        return resolved

    def run(self, question: str, history) -> Rewrite:
        previous = self.standalone_history(history)
        if not previous or not depends_on_history(question):
            return Rewrite(question, "as is")
        if self.generator is not None:
            from qa.answering.prompts import rewrite_messages

            text = "".join(
                t.text
                for t in self.generator.stream(rewrite_messages(previous, question), self.max_new_tokens, stop=("\n",))
            ).strip()
            if usable_rewrite(text, question, previous):
                return Rewrite(text, "generator")
        return Rewrite(rewrite_by_rules(question, previous), "rules")


WHOLE_QUESTION = 6  # characters: a previous question this long found whole in a rewrite was glued to it


def asks_twice(text: str) -> bool:
    """Whether ``text`` is two questions: a question mark before its end, or two of its clauses
    that each ask something ("…投了多少资金，…让多少人脱了贫？")."""
    inner = unclosed(text)
    if re.search(r"[?？]", inner):
        return True
    return sum(bool(ASKED.search(clause.strip())) for clause in re.split(r"[，,；;]", inner)) > 1


def usable_rewrite(text: str, question: str, previous: str) -> bool:
    """A generator rewrite is kept when it is one question of sensible length that keeps the
    new question's own content words: not two questions side by side (a question mark before
    the end, or the previous question whole with the new one after it)."""
    if not text or "\n" in text or len(text) > 2 * (len(question) + len(previous)):
        return False
    earlier = squash(unclosed(previous))
    if asks_twice(text) or (len(earlier) >= WHOLE_QUESTION and earlier in squash(text)):
        return False
    own = topic_words(question)
    return all(w in text for w in own)
