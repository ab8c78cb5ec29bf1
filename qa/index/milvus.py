"""The Milvus backend: chunks, vectors and BM25 in Milvus; document records in a second collection.

Selected by ``settings.retrieval.store == "milvus"`` (``QA_MILVUS_URI``). ``milvus_uri`` is either
a milvus-lite path ending in ``.db`` (embedded, one process at a time; a relative path is under
the data dir) or ``http(s)://host:port``: a Milvus cluster, or a milvus-lite server shared by
several processes (``milvus-lite server --data-dir DIR --port 19530``). Nothing else changes.

Collections (``<name>`` = ``settings.retrieval.milvus_collection``):

* ``<name>``: one row per chunk and ingest: the chunk's fields, the document date, the years
  its period and document date cover (``years``, for ``ARRAY_CONTAINS_ANY``), the ingest id,
  a dense ``vector`` (COSINE) and a ``sparse`` BM25 vector that Milvus's own BM25 function makes
  from ``bm25_text`` (the chunk's ``embed_text``, NFKC-normalized and lower-cased like
  :func:`qa.index.lexical.tokenize` does) with the built-in jieba analyzer in search mode and
  our stopwords plus punctuation as a stop filter. With the real model, retrieval matches the
  local store (bm25s over :func:`~qa.index.lexical.tokenize` tokens): hit@5 0.957 vs 0.957 on
  report_tune, 0.925 vs 0.925 on laws_tune, so Milvus's jieba analyzer is used as is and no
  field of our own tokens is needed. BM25 uses k1=1.5, b=0.75 like bm25s; fusion uses
  Milvus's rankers (milvus-lite's WeightedRanker min-max normalizes like
  :func:`qa.index.fusion.fuse`; a Milvus server normalizes each metric its own way, e.g. arctan
  for BM25, so fused scores, not just their scale, can differ there).
* ``<name>_documents``: one row per document: its :class:`DocumentRecord` fields (``text`` is
  not stored), the years it mentions, the index config it was embedded with, and its active
  ingest id. Every process reads the document list from here (re-read at most every
  ``REFRESH_S`` seconds).

Writing (:mod:`qa.index.milvus_sync`) keeps ingestion atomic and versioned per document, and
searches only return chunks whose ingest id is the active one of their document (pushed into
the filter), so a crash anywhere leaves each document whole, old or new.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from qa.index.base import DocumentRecord, Filters, IndexUnavailable, Match, MissingIndexError
from qa.index.fusion import fuse
from qa.index.milvus_schema import CHUNK_FIELDS, DOC_FIELDS
from qa.index.store import corpus_years, newest_date
from qa.ingest.chunking import Chunk
from qa.settings import RetrievalSettings, Settings
from qa.text import squeeze_spaces, years_named

log = logging.getLogger(__name__)

REFRESH_S = 2.0  # how stale a process's copy of the document list may be


def milvus_uri(settings: Settings) -> str:
    """The URI to connect to: a server URI as given, a milvus-lite ``.db`` path made absolute."""
    uri = settings.retrieval.milvus_uri.strip()
    if uri.startswith(("http://", "https://", "tcp://", "unix:")):
        return uri
    if not uri.endswith(".db"):
        raise IndexUnavailable(
            f"QA_MILVUS_URI={uri!r} is neither a server (http://host:19530) nor a milvus-lite "
            "file ending in .db (e.g. milvus.db, relative to the data dir)"
        )
    path = Path(uri).expanduser()
    path = path if path.is_absolute() else settings.data_dir / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def connect(settings: Settings):
    """A ``MilvusClient`` for the settings' URI; IndexUnavailable saying what to do if it fails."""
    from pymilvus import MilvusClient

    uri = milvus_uri(settings)
    try:
        # no keepalive pings between calls: milvus-lite's gRPC server answers them with GOAWAY
        return MilvusClient(uri=uri, timeout=30, grpc_options={"grpc.keepalive_permit_without_calls": 0})
    except Exception as exc:
        if uri.endswith(".db"):
            hint = (
                f"milvus-lite could not open {uri} ({exc}). One process at a time may open a .db; to share it, "
                f"start `milvus-lite server --data-dir {uri} --port 19530` and set QA_MILVUS_URI="
                "http://127.0.0.1:19530"
            )
        else:
            hint = (
                f"cannot reach Milvus at {uri} ({exc}). Start it, or a local server with `milvus-lite server "
                "--data-dir data/milvus.db --port 19530`, or set QA_MILVUS_URI to a .db file path"
            )
        raise IndexUnavailable(hint) from exc


def _lit(values) -> str:
    """A Milvus expression list literal."""
    return json.dumps(sorted(values), ensure_ascii=False)


def bm25_text(text: str) -> str:
    """What the BM25 analyzer sees: the normalization :func:`qa.index.lexical.tokenize` applies."""
    return squeeze_spaces(unicodedata.normalize("NFKC", text)).lower()


def chunk_years(chunk: Chunk, doc_date: str | None) -> list[int]:
    """The years :meth:`Filters.accepts` matches a chunk by."""
    return sorted(years_named(chunk.period) | ({int(doc_date[:4])} if doc_date else set()))


@dataclass(frozen=True)
class StoredDocument:
    record: DocumentRecord
    ingest_id: str
    config: dict
    years: frozenset[int]


@dataclass(frozen=True)
class _Snapshot:
    stored: dict[str, StoredDocument]
    loaded_at: float

    @functools.cached_property
    def documents(self) -> dict[str, DocumentRecord]:
        return {doc_id: s.record for doc_id, s in self.stored.items()}


class MilvusIndex:
    """A connected Milvus index of one corpus (see the module docstring). Implements
    :class:`qa.index.base.SearchIndex`; ``documents`` is re-read from Milvus when older than
    ``refresh_s`` seconds, so other processes' syncs show up."""

    def __init__(self, client, collection: str, refresh_s: float = REFRESH_S) -> None:
        self.client = client
        self.collection = collection
        self.documents_collection = f"{collection}_documents"
        self.refresh_s = refresh_s
        self._snap: _Snapshot | None = None

    # -- document records ------------------------------------------------------------------
    def refresh(self) -> MilvusIndex:
        rows = []
        if self.client.has_collection(self.documents_collection):
            rows = self.client.query(
                self.documents_collection, filter='doc_id != ""', output_fields=DOC_FIELDS, limit=16384
            )
            if len(rows) >= 16384:  # Milvus caps one query; page through the rest
                iterator = self.client.query_iterator(
                    self.documents_collection, batch_size=1000, filter='doc_id != ""', output_fields=DOC_FIELDS
                )
                rows = []
                while batch := iterator.next():
                    rows += batch
                iterator.close()
        stored = {}
        for row in rows:
            record = DocumentRecord(
                row["doc_id"],
                row["file"],
                row["sha256"],
                row["title"],
                row["date"] or None,
                row["source"] or None,
                row["published"] or None,
                int(row["chunks"]),
                kind=row["kind"],
            )
            stored[record.doc_id] = StoredDocument(
                record, row["ingest_id"], json.loads(row["config"]), frozenset(row["years"])
            )
        self._snap = _Snapshot(dict(sorted(stored.items())), time.monotonic())
        return self

    def _snapshot(self) -> _Snapshot:
        snap = self._snap
        if snap is None or time.monotonic() - snap.loaded_at > self.refresh_s:
            snap = self.refresh()._snap
        return snap

    @property
    def stored(self) -> dict[str, StoredDocument]:
        return self._snapshot().stored

    @property
    def documents(self) -> dict[str, DocumentRecord]:
        return self._snapshot().documents

    @property
    def years(self) -> frozenset[int]:
        snap = self._snapshot()
        return frozenset().union(corpus_years([], snap.documents), *(s.years for s in snap.stored.values()))

    @property
    def reference_date(self) -> date | None:
        return newest_date(self.documents)

    # -- search ------------------------------------------------------------------------------
    def changed(self) -> bool:
        """Always False: the document list is re-read from Milvus every ``refresh_s`` seconds, so
        this object follows other processes' uploads and removals by itself."""
        return False

    def filter_expression(self, filters: Filters | None) -> str | None:
        """The Milvus filter for live chunks that ``filters`` accept (None: nothing can match)."""
        stored = self.stored
        live = [s.ingest_id for s in stored.values()]
        if not live:
            return None
        parts = [f"ingest_id in {_lit(live)}"]
        if filters is not None:
            for field, values in (("doc_id", filters.doc_ids), ("doc_kind", filters.kinds)):
                if values is not None:
                    if not values:
                        return None
                    parts.append(f"{field} in {_lit(values)}")
            if filters.years is not None:
                if not filters.years:
                    return None
                parts.append(f"ARRAY_CONTAINS_ANY(years, {_lit(int(y) for y in filters.years)})")
        return " and ".join(parts)

    def search(
        self,
        vector: np.ndarray | None,
        queries: list[str],
        n: int,
        settings: RetrievalSettings,
        filters: Filters | None = None,
    ) -> list[Match]:
        """See :meth:`qa.index.base.SearchIndex.search`: one ``hybrid_search`` (WeightedRanker for
        ``fusion == "score"``, RRFRanker otherwise), or a plain search when one side is skipped.
        ``Match.dense`` is the cosine similarity (computed from the returned vector); ``Match.lexical``
        is the BM25 score when BM25 alone was searched, else None."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        expr = self.filter_expression(filters)
        text = bm25_text(" ".join(dict.fromkeys(q for q in queries if q.strip())))
        if expr is None or (vector is None and not text.strip()):
            return []
        output = [f for f in CHUNK_FIELDS if f not in ("sparse", "bm25_text")]
        requests = []
        if vector is not None:
            vector = np.asarray(vector, dtype=np.float32).reshape(-1)
            requests.append(AnnSearchRequest([vector.tolist()], "vector", {"metric_type": "COSINE"}, n, expr=expr))
        if text.strip():
            requests.append(AnnSearchRequest([text], "sparse", {"metric_type": "BM25"}, n, expr=expr))
        if len(requests) == 2:
            ranker = (
                WeightedRanker(settings.dense_weight, settings.lexical_weight)
                if settings.fusion == "score"
                else RRFRanker(settings.rrf_k)
            )
            hits = self.client.hybrid_search(self.collection, requests, ranker, limit=2 * n, output_fields=output)[0]
            scored = [(hit, float(hit["distance"])) for hit in hits]
        else:
            request = requests[0]
            hits = self.client.search(
                self.collection,
                data=request.data,
                anns_field=request.anns_field,
                search_params=request.param,
                limit=n,
                filter=expr,
                output_fields=output,
            )[0]
            raw = {i: abs(float(hit["distance"])) for i, hit in enumerate(hits)}  # milvus-lite negates BM25
            weight = settings.dense_weight if vector is not None else settings.lexical_weight
            fused = fuse([raw], [weight], settings.fusion, settings.rrf_k)
            scored = [(hit, fused[i]) for i, hit in enumerate(hits)]
        lexical_only = vector is None
        matches = []
        for hit, score in scored:
            entity = hit["entity"]
            dense = None
            if vector is not None:
                stored = np.asarray(entity["vector"], dtype=np.float32)
                dense = float(stored @ vector / max(np.linalg.norm(stored) * np.linalg.norm(vector), 1e-12))
            lexical = abs(float(hit["distance"])) if lexical_only else None
            matches.append(Match(_chunk(entity), score, dense, lexical))
        matches.sort(key=lambda m: (-m.score, m.chunk.chunk_id))
        return matches


def _chunk(entity: dict) -> Chunk:
    return Chunk(
        entity["chunk_id"],
        entity["doc_id"],
        int(entity["paragraph"]),
        int(entity["start_offset"]),
        int(entity["end_offset"]),
        entity["text"],
        tuple(json.loads(entity["section"])),
        entity["period"] or None,
        entity["kind"],
        entity["title"],
        entity["doc_kind"],
    )


def connect_index(settings: Settings) -> MilvusIndex:
    """The Milvus index as it is (no sync); MissingIndexError when it was never built."""
    index = MilvusIndex(connect(settings), settings.retrieval.milvus_collection)
    if not index.client.has_collection(index.collection):
        raise MissingIndexError(
            f"no Milvus collection {index.collection} at {milvus_uri(settings)}. Build it with: python -m qa index"
        )
    index.client.load_collection(index.collection)
    index.client.load_collection(index.documents_collection)
    return index.refresh()
