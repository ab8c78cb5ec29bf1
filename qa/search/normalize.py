"""Query normalization: the same question, in the words the documents use.

``normalize_query("去年農村居民收入漲了多少", date(2022, 1, 13))`` gives
``rewritten == "2021年农村居民收入涨了多少"``: traditional → simplified, full-width →
half-width, stray spaces removed, and relative time (今年/去年/明年/过去五年/今后五年)
resolved against the document's date. ``variants`` adds a digits-for-numerals form
(十三个 → 13个) that helps lexical matching; the dense encoder sees ``rewritten``.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from qa.text import resolve_relative_time, squeeze_spaces

MAX_QUESTION_CHARS = 500
EXAMPLE = "“今年要新建多少所学校？”"
# Greetings and words about asking itself: a question made only of these asks nothing yet
CHIT_CHAT = re.compile(
    r"你好|您好|哈喽|谢谢|多谢|请问|问一下|问个|我有个|我有一个|我想问|我想咨询|咨询|问题|在吗|有人吗|"
    r"一下|可以提问|能提问|可以问|能问|[嗨喂吗呢啊呀吧哦嗯]"
)


class QuestionError(ValueError):
    """A question that cannot be searched; the message is meant for the user (Chinese)."""


def require_question(question: str) -> None:
    """QuestionError, asking for the rest, when ``question`` (standalone, after follow-ups are
    resolved), greetings aside, only names something and asks nothing about it (see
    :func:`qa.answering.question.names_only`): any answer would be a guess at what was meant."""
    from qa.answering.question import names_only

    if names_only(CHIT_CHAT.sub("", question)):
        raise QuestionError(f"想了解“{question}”的哪方面？请把问题说完整，例如：{EXAMPLE}")


def clean_question(question) -> str:
    """The question as searchable text, or QuestionError with a polite message.

    Drops undecodable bytes and control characters; refuses empty and over-long input, and
    input that asks nothing yet (only greetings or words about asking: "你好，在吗？", "问题").
    """
    if isinstance(question, bytes):
        question = question.decode("utf-8", errors="replace")
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    text = question.encode("utf-8", errors="ignore").decode("utf-8")  # drops lone surrogates
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.replace("\ufffd", "").strip()
    if not text:
        raise QuestionError(f"问题是空的，请输入想了解的内容，例如：{EXAMPLE}")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"问题太长了（{len(text)} 字），请精简到 {MAX_QUESTION_CHARS} 字以内后再问。")
    if not re.search(r"\w", CHIT_CHAT.sub("", text)):
        raise QuestionError(f"您好！请直接说出想了解的内容，例如：{EXAMPLE}")
    return text


@dataclass(frozen=True)
class NormalizedQuery:
    original: str
    rewritten: str
    variants: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return self.rewritten != self.original.strip()


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified_halfwidth(text: str) -> str:
    """NFKC (full-width letters/digits/punctuation → half-width) and traditional → simplified."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u200b-\u200f\ufeff]", "", text)
    return _t2s().convert(text)


def numerals_to_digits(text: str) -> str:
    """十三个 → 13个, 二〇二二年 → 2022年; unchanged when cn2an finds nothing to convert."""
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return cn2an.transform(text, "cn2an")
        except Exception:  # cn2an raises on odd mixes; the plain text is still usable
            return text


def normalize_query(question: str, reference: date | None = None) -> NormalizedQuery:
    """Normalize a user question (QuestionError if unusable); ``reference`` dates 今年/去年."""
    text = to_simplified_halfwidth(clean_question(question))
    text = squeeze_spaces(" ".join(text.split()))
    rewritten = resolve_relative_time(text, reference)
    digits = numerals_to_digits(rewritten)
    variants = (digits,) if digits != rewritten else ()
    return NormalizedQuery(original=question, rewritten=rewritten, variants=variants)
