"""What every index backend shares: the search contract, document records, filters, errors.

Two backends implement :class:`SearchIndex`: the embedded default (:mod:`qa.index.store`,
FAISS + bm25s in a versioned folder) and Milvus (:mod:`qa.index.milvus`), selected by
``Settings.retrieval.store``. Retrieval (:mod:`qa.search.retrieval`) only sees this contract.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from qa.ingest.chunking import Chunk
from qa.settings import RetrievalSettings
from qa.text import years_named


class IndexUnavailable(RuntimeError):
    """Base class: the index cannot be used as it is; the message says what to do."""


class MissingIndexError(IndexUnavailable):
    pass


class CorruptIndexError(IndexUnavailable):
    pass


class StaleIndexError(IndexUnavailable):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("索引已过期 (index is stale): " + "; ".join(reasons) + ". Rebuild it with: python -m qa index")


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    file: str  # file name inside the corpus folder
    sha256: str
    title: str
    date: str | None
    source: str | None = None
    published: str | None = None
    chunks: int = 0
    text: str = field(default="", repr=False)
    kind: str = ""  # the folder under the corpus root ("" at the top), see qa.index.building

    def summary(self) -> dict:
        out = asdict(self)
        out.pop("text")
        return out


@dataclass(frozen=True)
class Filters:
    """Which chunks a search may return; None means any. ``years``: the chunk's period or its
    document's date must include one of them."""

    doc_ids: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    years: frozenset[int] | None = None

    def accepts(self, chunk: Chunk, doc_date: str | None = None) -> bool:
        if self.doc_ids is not None and chunk.doc_id not in self.doc_ids:
            return False
        if self.kinds is not None and chunk.doc_kind not in self.kinds:
            return False
        if self.years is not None:
            years = years_named(chunk.period) | ({int(doc_date[:4])} if doc_date else set())
            return bool(years & self.years)
        return True

    @property
    def empty(self) -> bool:
        return self.doc_ids is None and self.kinds is None and self.years is None


@dataclass(frozen=True)
class Match:
    """A chunk a search found, with its fused score and, when known, its raw dense and BM25 scores."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


class SearchIndex(Protocol):
    """A loaded (or connected) index of one corpus."""

    documents: dict[str, DocumentRecord]

    @property
    def years(self) -> frozenset[int]:
        """Every year the documents mention (in their text, periods or dates)."""

    @property
    def reference_date(self) -> date | None:
        """The newest document date: what 今年/去年 mean for this corpus."""

    def search(
        self,
        vector: np.ndarray | None,
        queries: list[str],
        n: int,
        settings: RetrievalSettings,
        filters: Filters | None = None,
    ) -> list[Match]:
        """Matches, best first: the ``n`` best of dense search with ``vector`` (None: skip it) and
        the ``n`` best of BM25 with the union of ``queries``' words (empty: skip it), fused as
        ``settings`` say."""
