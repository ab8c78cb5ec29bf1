"""BM25 over jieba tokens (bm25s, Lucene IDF, which is never zero or negative).

Built once with the index and saved beside it; a query only tokenizes and scores.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.text import squeeze_spaces

# Question words and particles that carry no topic: matching them only adds noise.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "等",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "有",
        "要",
        "把",
        "被",
        "让",
        "给",
        "对",
        "就",
        "都",
        "也",
        "还",
        "又",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "什么",
        "多少",
        "哪些",
        "哪个",
        "哪里",
        "哪",
        "几",
        "几个",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "是否",
        "是不是",
        "有没有",
        "请问",
        "一下",
        "报告",
        "里",
        "中",
        "上",
        "我",
        "我们",
        "你",
        "你们",
        "他",
        "她",
        "它",
        "咱们",
        "大家",
        "一个",
        "一共",
        "具体",
        "主要",
        "方面",
        "原话",
        "说",
        "讲",
        "提到",
        "提出",
    ]
)
TOKEN_KEEP = re.compile(r"[\w%.]", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def jieba_cut(text: str) -> list[str]:
    """jieba's precise-mode words; they concatenate back to ``text`` exactly."""
    return _jieba().lcut(text, HMM=True)


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba search-mode tokens without punctuation or stopwords."""
    text = squeeze_spaces(unicodedata.normalize("NFKC", text)).lower()
    tokens = []
    for token in _jieba().lcut_for_search(text):
        token = token.strip()
        if token and TOKEN_KEEP.search(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


class LexicalIndex:
    """BM25 scores for every chunk; ``scores(query)`` is all zeros when nothing matches."""

    def __init__(self, bm25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25(method="lucene")
        # bm25s cannot index nothing: an empty corpus gets one placeholder row no query matches
        bm25.index([tokenize(t) for t in texts] or [["\x00empty"]], show_progress=False)
        return cls(bm25)

    def scores(self, queries: list[str]) -> np.ndarray:
        """BM25 scores of each chunk for the union of the queries' tokens."""
        tokens = sorted({t for q in queries for t in tokenize(q)})
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0))
