"""Question answering over Chinese government documents.

Python API::

    from qa import retrieve
    result = retrieve("今年地区生产总值增长目标是多少？", k=5)
    result.rewritten          # "2022年地区生产总值增长目标是多少？"
    for hit in result.hits:   # ranked; hit.to_dict() gives doc, section, text, score, start, end
        print(hit.score, hit.chunk.section_path, hit.chunk.text)

Use :class:`qa.pipeline.Pipeline` with your own :class:`qa.settings.Settings` for
another corpus or model.
"""
from __future__ import annotations


def retrieve(question: str, k: int = 5, mode: str = "hybrid"):
    """Top-k passages for ``question`` from the default corpus (see module docstring).

    ``mode``: "hybrid" (dense + BM25, default), "dense" or "lexical". Raises
    ``qa.normalize.QuestionError`` for an empty or over-long question.
    """
    from qa.pipeline import default_pipeline

    return default_pipeline().retrieve(question, k=k, mode=mode)


__all__ = ["retrieve"]
