"""Table rows among the evidence: a row is a sentence whose cells decode joined with " | ", read
under the table's first row, which ingest makes its section (:mod:`qa.ingest.structure`)."""

from __future__ import annotations

import re

from qa.answering.evidence import Evidence
from qa.ingest.structure import TABLE_ROW

MIN_SHARED = 1  # two-character stretches a column's name must share with the question to be the one asked


def row_cells(sentence: Evidence) -> list[tuple[str, int, int]] | None:
    """(column name, start, end) of each cell of a table row, offsets relative to the sentence;
    None when the sentence is not a row under a header row of as many cells."""
    header = sentence.section[-1] if sentence.section else ""
    if not (TABLE_ROW.search(sentence.text) and TABLE_ROW.search(header)):
        return None
    names = [name.strip() for name in header.strip().strip("|").split("|")]  # Markdown: "| a | b |"
    cells = [(m.start(), m.end()) for m in re.finditer(r"[^|]+", sentence.text) if m.group().strip()]
    if len(names) != len(cells):
        return None
    out = []
    for name, (start, end) in zip(names, cells):
        text = sentence.text[start:end]
        start += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        out.append((name, start, end))
    return out


def read_row(sentence: Evidence) -> str | None:
    """A table row read with its column names ("级别：三级医院，起付标准：800元"), or None when the
    sentence is not a row under a header (:func:`row_cells`)."""
    cells = row_cells(sentence)
    if not cells:
        return None
    said = ((name, sentence.text[start:end].rstrip("。")) for name, start, end in cells)
    return "，".join(f"{name}：{cell}" if name else cell for name, cell in said if cell)


def asked_column(sentence: Evidence, question: str) -> tuple[int, int] | None:
    """The cell of a table row under the column the question names: among the cells the question
    does not itself name (the row's label, "二级医院"), the one whose column name shares the most
    two-character stretches with the question ("报销比例" and "能报销多少" share 报销; at least
    :data:`MIN_SHARED`, and more than any other)."""
    cells = [
        (name, start, end)
        for name, start, end in row_cells(sentence) or []
        if not _mostly_in(sentence.text[start:end], question)
    ]
    if not cells:
        return None
    shared = sorted(((_stretches_in(name, question), start, end) for name, start, end in cells), reverse=True)
    best = shared[0]
    if best[0] < MIN_SHARED or (len(shared) > 1 and shared[1][0] == best[0]):
        return None
    return best[1], best[2]


def _mostly_in(text: str, question: str) -> bool:
    """Whether at least half of the characters of ``text`` occur in ``question``."""
    return sum(ch in question for ch in text) * 2 >= len(text) > 0


def _stretches_in(name: str, question: str) -> int:
    """How many of the two-character stretches of ``name`` occur in ``question``."""
    return len(
        {name[i : i + 2] for i in range(len(name) - 1)} & {question[i : i + 2] for i in range(len(question) - 1)}
    )
