"""Resolve follow-up questions against the conversation before retrieval.

``rewrite_followup("那养殖业呢？", [{"question": "今年种植业新建高标准农田多少亩？"}])``
gives "今年养殖业新建高标准农田多少亩？"-style questions: "那X呢" swaps X for the
previous question's most similar term (or is prefixed to it), and a question
about "它/这个/这些" carries the previous question's topic along.
"""
from __future__ import annotations

import re

from qa.lexical import tokenize

SWAP = re.compile(r"^(?:那么?|还有|另外|再问一下)?\s*(?P<topic>.+?)\s*(?:呢|怎么样|如何)\s*[?？。!！]*$")
PRONOUN = re.compile(r"^(?:那|那么)?\s*(?:它|它们|这个|那个|这些|那些|该|其中|这一|这项|这)")
FOLLOWUP_HINT = re.compile(r"^(?:那|那么|还有|另外)")


def previous_question(history) -> str | None:
    """The last user question in ``history``: dicts with "question" or chat messages, or (q, a) pairs."""
    for turn in reversed(list(history or [])):
        if isinstance(turn, dict):
            if turn.get("rewritten") or turn.get("question"):
                return turn.get("rewritten") or turn.get("question")
            if turn.get("role") == "user" and turn.get("content"):
                return turn["content"]
        elif isinstance(turn, (list, tuple)) and turn and turn[0]:
            return str(turn[0])
    return None


SUBJECT = re.compile(r"^(?P<time>(?:(?:19|20)\d{2}年|今年|去年|明年|(?:过去|今后|未来|这)五年)?(?:的|全市)?)"
                     r"(?P<subject>.+?)(?=增长|目标|是|要|有|达到|多少|几|怎么|如何|计划|新建|提高|实现)")
TIME = re.compile(r"(?:19|20)\d{2}年|今年|去年|明年|前年|(?:过去|今后|未来|这)五年|五年来")


def _swap_topic(previous: str, topic: str) -> str:
    """Replace the previous question's term most like ``topic`` (shared characters) by ``topic``."""
    if TIME.fullmatch(topic) and TIME.search(previous):
        return TIME.sub(topic, previous, count=1)
    terms = [t for t in tokenize(previous) if len(t) >= 2 and t in previous]
    scored = [(len(set(t) & set(topic)) + (t[-1] == topic[-1]), len(t), t) for t in terms]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return previous.replace(max(scored)[2], topic, 1)
    subject = SUBJECT.match(previous)
    if subject and subject["subject"]:
        return previous[:subject.start("subject")] + topic + previous[subject.end("subject"):]
    return f"{topic} {previous}"


def rewrite_followup(question: str, history) -> str:
    """The question made self-contained using the previous question (unchanged if it already is)."""
    previous = previous_question(history)
    if not previous:
        return question
    stripped = question.strip()
    swap = SWAP.match(stripped)
    if swap and len(swap["topic"]) <= 12:
        return _swap_topic(previous, swap["topic"])
    if PRONOUN.match(stripped) or (FOLLOWUP_HINT.match(stripped) and len(stripped) <= 15):
        topic = re.sub(r"[?？。!！]+$", "", previous)
        return f"{topic}，{stripped}"
    return question
