"""Question answering over Chinese government documents.

Python API::

    from qa import ask, retrieve, answer

    reply = ask("今年地区生产总值增长目标是多少？")            # grounded answer over the default corpus
    reply.answer, reply.reply, reply.refused, reply.citations  # reply.to_dict() for JSON
    ask("那固定资产投资呢？", history=[{"question": "今年地区生产总值增长目标是多少？"}])

    result = retrieve("这五年贫困人口脱贫了多少？", k=5)       # ranked passages with offsets
    answer("目标是多少？", ["全市地区生产总值增长6%以上。"])      # the answer layer on your passages

Use :class:`qa.pipeline.Pipeline` with your own :class:`qa.settings.Settings` for
another corpus or model.
"""

from __future__ import annotations


def retrieve(question: str, k: int = 5, mode: str = "hybrid"):
    """Top-k passages for ``question`` from the default corpus.

    ``mode``: "hybrid" (dense + BM25, default), "dense" or "lexical". Raises
    ``qa.search.normalize.QuestionError`` for an empty or over-long question.
    """
    from qa.pipeline import default_pipeline

    return default_pipeline().retrieve(question, k=k, mode=mode)


def ask(question: str, history=None, mode: str | None = None, on_token=None):
    """A grounded :class:`qa.answering.types.Answer` from the default corpus (see module docstring)."""
    from qa.pipeline import default_pipeline

    return default_pipeline().ask(question, history=history, mode=mode, on_token=on_token)


def answer(question: str, passages: list, mode: str = "extractive", reference_date=None, on_token=None):
    """Answer ``question`` from the given passages alone, with no index, in either mode and
    with the same refusal policy as :func:`ask`.

    ``passages``: strings or dicts with "text" (and optional "doc", "title", "section",
    "period"), best first. ``reference_date`` (a ``datetime.date``) resolves 今年/去年.
    Offsets in the result refer to each passage's own text. Raises
    ``qa.search.normalize.QuestionError`` for unusable input: empty, over-long, or only a name
    or a time with nothing asked about it ("青禾县", "明年").
    """
    from qa.ingest.chunking import Chunk
    from qa.pipeline import MODES, default_pipeline
    from qa.search.hits import Hit
    from qa.search.normalize import clean_question, normalize_query, require_question
    from qa.text import years_named

    if mode not in MODES:
        raise ValueError(f"mode must be 'generative' or 'extractive', not {mode!r}")
    hits = []
    for n, passage in enumerate(passages):
        item = {"text": passage} if isinstance(passage, str) else dict(passage)
        text = str(item.get("text") or "")
        section = tuple(filter(None, [item.get("section")]))
        chunk = Chunk(
            f"passage-{n}",
            item.get("doc", f"passage-{n}"),
            0,
            0,
            len(text),
            text,
            section,
            item.get("period"),
            "body",
            item.get("title", ""),
        )
        hits.append(Hit(chunk, 1.0 / (n + 1)))
    question = clean_question(question)
    require_question(question)
    rewritten = normalize_query(question, reference_date).rewritten
    pipeline = default_pipeline()
    reader = pipeline.generative_reader if mode == "generative" else None
    vector = pipeline.encoder.encode_queries([rewritten])[0] if reader is not None and hits else None
    known = frozenset().union(*(years_named(h.chunk.text) for h in hits)) if hits else frozenset()
    result = pipeline.answerer.run(question, rewritten, hits, vector, reader, known, on_token)
    if mode == "generative" and reader is None:
        result.note = f"generator unavailable ({pipeline.generator_error}); {result.note}"
    return result


__all__ = ["answer", "ask", "retrieve"]
