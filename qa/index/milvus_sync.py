"""Writing to the Milvus backend: atomic, versioned ingestion per document, and keeping the
collections in step with the corpus folder (see :mod:`qa.index.milvus` for the layout).

Ingest of one document: (1) insert its new chunks tagged with a fresh ingest id, (2) upsert
its record pointing at that id (the switch), (3) delete its chunks of other ingest ids.
Removal deletes the record, then the chunks. A crash anywhere leaves each document whole,
old or new; the next sync re-ingests what did not switch and deletes orphaned chunks.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import replace

import numpy as np

from embeddings.encoder import Encoder
from qa.files import exclusive_lock, file_sha256
from qa.index.base import DocumentRecord, MissingIndexError, StaleIndexError
from qa.index.building import SyncReport, chunking_config, corpus_changes, index_config, read_document
from qa.index.milvus import (
    MilvusIndex,
    StoredDocument,
    _lit,
    bm25_text,
    chunk_years,
    connect,
    connect_index,
)
from qa.index.milvus_schema import MAX_YEARS, ensure_schema
from qa.index.store import corpus_years
from qa.ingest.chunking import Chunk
from qa.ingest.corpus_folder import corpus_files, document_ids
from qa.settings import Settings

log = logging.getLogger(__name__)

INSERT_BATCH = 256  # chunk rows per insert call


# -- writing -----------------------------------------------------------------------------------
def new_ingest_id() -> str:
    return f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"


def chunk_row(chunk: Chunk, date: str | None, vector, ingest_id: str, pk: str = "", chunk_id: str = "") -> dict:
    """One row of the chunk collection (see :mod:`qa.index.milvus_schema`); ``pk`` and ``chunk_id``
    default to the ingest's and the chunk's own."""
    return {
        "pk": pk or f"{ingest_id}/{chunk.chunk_id}",
        "chunk_id": chunk_id or chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "ingest_id": ingest_id,
        "paragraph": chunk.paragraph,
        "start_offset": chunk.start,
        "end_offset": chunk.end,
        "text": chunk.text,
        "section": json.dumps(list(chunk.section), ensure_ascii=False),
        "period": chunk.period or "",
        "kind": chunk.kind,
        "title": chunk.title,
        "doc_kind": chunk.doc_kind,
        "date": date or "",
        "years": chunk_years(chunk, date)[:MAX_YEARS],
        "bm25_text": bm25_text(chunk.embed_text),
        "vector": np.asarray(vector, dtype=np.float32).tolist(),
    }


def ingest_document(
    index: MilvusIndex, record: DocumentRecord, chunks: list[Chunk], vectors: np.ndarray, config: dict
) -> str:
    """Write one document version atomically (see the module docstring); returns its ingest id."""
    client, ingest_id = index.client, new_ingest_id()
    rows = [chunk_row(c, record.date, v, ingest_id) for c, v in zip(chunks, vectors)]
    for start in range(0, len(rows), INSERT_BATCH):
        client.insert(index.collection, rows[start : start + INSERT_BATCH])
    years = sorted(corpus_years(chunks, {record.doc_id: record}))[:MAX_YEARS]
    client.upsert(
        index.documents_collection,
        [
            {
                "doc_id": record.doc_id,
                "file": record.file,
                "sha256": record.sha256,
                "title": record.title,
                "date": record.date or "",
                "source": record.source or "",
                "published": record.published or "",
                "chunks": len(chunks),
                "kind": record.kind,
                "ingest_id": ingest_id,
                "config": json.dumps(config, ensure_ascii=False, sort_keys=True),
                "years": years,
                "_unused": [1.0, 0.0],
            }
        ],
    )
    client.delete(
        index.collection,
        filter=f"doc_id == {json.dumps(record.doc_id, ensure_ascii=False)} and ingest_id != {json.dumps(ingest_id)}",
    )
    return ingest_id


def remove_stored_document(index: MilvusIndex, doc_id: str) -> None:
    """Delete a document's record, then its chunks."""
    index.client.delete(index.documents_collection, ids=[doc_id])
    index.client.delete(index.collection, filter=f"doc_id == {json.dumps(doc_id, ensure_ascii=False)}")


def collect_garbage(index: MilvusIndex) -> None:
    """Delete the chunks no record points at (left by crashed ingests or removals). Writers only."""
    live = [s.ingest_id for s in index.refresh().stored.values()]
    index.client.delete(index.collection, filter=f"ingest_id not in {_lit(live)}" if live else 'ingest_id != ""')


def _same_config(stored: StoredDocument, config: dict) -> bool:
    return json.loads(json.dumps(config, sort_keys=True)) == stored.config


def sync_milvus(settings: Settings, encoder: Encoder, progress: bool = True) -> tuple[MilvusIndex, SyncReport]:
    """Bring the Milvus index in line with the corpus folder (like :func:`qa.index.building.sync_index`):
    only new or changed documents (or ones embedded with other settings) are embedded, and
    records of deleted files are removed."""
    started = time.perf_counter()
    report = SyncReport()
    with exclusive_lock(settings.index_dir / ".milvus.lock"):
        index = MilvusIndex(connect(settings), settings.retrieval.milvus_collection)
        ensure_schema(index.client, index.collection, encoder.dim)
        old = index.refresh().stored
        config = index_config(settings, encoder)
        files = corpus_files(settings.corpus_dir)
        ids = document_ids(list(files))
        pending: list[tuple[DocumentRecord, list[Chunk]]] = []
        for name, path in files.items():
            sha = file_sha256(path)
            previous = old.get(ids[name])
            if (
                previous is not None
                and previous.record.file == name
                and previous.record.sha256 == sha
                and _same_config(previous, config)
            ):
                report.reused.append(ids[name])
                continue
            read = read_document(path, name, ids[name], sha, settings, report)
            if read is not None:
                record, chunks = read
                pending.append((replace(record, text=""), chunks))  # Milvus keeps no document text
        kept = set(report.reused) | {record.doc_id for record, _ in pending}
        report.removed = sorted(doc_id for doc_id in old if doc_id not in kept)
        texts = [c.embed_text for _, chunks in pending for c in chunks]
        vectors = encoder.encode_passages(texts, progress=progress) if texts else np.zeros((0, encoder.dim))
        offset = 0
        for record, chunks in pending:
            ingest_document(index, record, chunks, vectors[offset : offset + len(chunks)], config)
            offset += len(chunks)
            report.embedded.append(record.doc_id)
        for doc_id in report.removed:
            remove_stored_document(index, doc_id)
        collect_garbage(index)
    report.chunks = sum(r.chunks for r in index.documents.values())
    report.seconds = time.perf_counter() - started
    return index, report


def milvus_staleness(index: MilvusIndex, settings: Settings) -> list[str]:
    """Why the stored documents do not match the settings or the corpus folder (empty: fresh).
    A file that cannot be ingested counts as added each time (a sync re-reads only it)."""
    reasons = []
    stored = index.stored
    models = {s.config.get("embedding", {}).get("model_id") for s in stored.values()}
    if models - {settings.embedding_model}:
        reasons.append(f"embedding model changed ({', '.join(sorted(map(str, models)))} → {settings.embedding_model})")
    if any(s.config.get("chunking") != chunking_config(settings) for s in stored.values()):
        reasons.append("chunking settings changed")
    indexed = {s.record.file: s.record.sha256 for s in stored.values()}
    return reasons + corpus_changes(indexed, settings)


def open_milvus_index(settings: Settings, encoder: Encoder) -> MilvusIndex:
    """Connect; sync when the index is missing or stale (if ``auto_rebuild``), else raise."""
    try:
        index = connect_index(settings)
        reasons = milvus_staleness(index, settings)
    except MissingIndexError:
        if not settings.auto_rebuild:
            raise
        reasons = ["no index yet"]
    if not reasons:
        return index
    if not settings.auto_rebuild:
        raise StaleIndexError(reasons)
    log.warning("syncing the Milvus index: %s", "; ".join(reasons))
    return sync_milvus(settings, encoder)[0]
