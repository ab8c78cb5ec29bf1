"""Question answering over Chinese government documents.

Python API::

    from qa import ask, retrieve, answer

    reply = ask("今年地区生产总值增长目标是多少？")            # grounded answer over the default corpus
    reply.answer, reply.reply, reply.refused, reply.citations  # reply.to_dict() for JSON
    ask("那固定资产投资呢？", history=[{"question": "今年地区生产总值增长目标是多少？"}])

    result = retrieve("这五年贫困人口脱贫了多少？", k=5)       # ranked passages with offsets
    answer("目标是多少？", ["全市地区生产总值增长6%以上。"])      # the extractive reader on your passages

Use :class:`qa.pipeline.Pipeline` with your own :class:`qa.settings.Settings` for
another corpus or model.
"""
from __future__ import annotations


def retrieve(question: str, k: int = 5, mode: str = "hybrid"):
    """Top-k passages for ``question`` from the default corpus.

    ``mode``: "hybrid" (dense + BM25, default), "dense" or "lexical". Raises
    ``qa.normalize.QuestionError`` for an empty or over-long question.
    """
    from qa.pipeline import default_pipeline

    return default_pipeline().retrieve(question, k=k, mode=mode)


def ask(question: str, history=None, mode: str | None = None, on_token=None):
    """A grounded :class:`qa.answering.Answer` from the default corpus (see module docstring)."""
    from qa.pipeline import default_pipeline

    return default_pipeline().ask(question, history=history, mode=mode, on_token=on_token)


def answer(question: str, passages: list, reference_date=None):
    """Answer ``question`` from the given passages alone with the extractive reader.

    ``passages``: strings or dicts with "text" (and optional "doc", "section").
    Offsets in the result refer to each passage's own text.
    """
    from qa.answering import extractive_answer
    from qa.chunking import Chunk
    from qa.normalize import normalize_query
    from qa.retrieval import Hit

    hits = []
    for n, passage in enumerate(passages):
        item = {"text": passage} if isinstance(passage, str) else dict(passage)
        text = item["text"]
        section = tuple(filter(None, [item.get("section")]))
        chunk = Chunk(f"passage-{n}", item.get("doc", f"passage-{n}"), 0, 0, len(text), text, section, None, "body")
        hits.append(Hit(chunk, 1.0 / (n + 1)))
    rewritten = normalize_query(question, reference_date).rewritten
    return extractive_answer(question, rewritten, hits)


__all__ = ["answer", "ask", "retrieve"]
