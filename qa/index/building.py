"""Keep the index in step with the corpus folder.

The corpus folder is the one source of truth: ``sync_index`` (re)indexes exactly
the supported files in it, embedding only documents that are new or changed and
reusing stored vectors for the rest. ``add_documents`` copies files in, then syncs.
``open_index`` loads the live index and checks it is not stale.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.files import file_sha256, temp_beside
from qa.index.dense import DenseIndex
from qa.index.lexical import LexicalIndex
from qa.index.store import (
    CorpusIndex,
    CorruptIndexError,
    DocumentRecord,
    IndexStore,
    MissingIndexError,
    StaleIndexError,
)
from qa.ingest.chunking import INGEST_VERSION, Chunk, chunk_document
from qa.ingest.corpus_folder import corpus_files, document_ids, document_kind, expand_paths, free_target, safe_file_name
from qa.ingest.decode import IngestError, load_document
from qa.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    embedded: list[str] = field(default_factory=list)  # doc ids (re-)embedded
    reused: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> reason
    chunks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.embedded or self.removed)


def chunking_config(settings: Settings) -> dict:
    """What decides a document's chunks: the chunking settings and the ingestion code's version."""
    return {**settings.chunking.__dict__, "ingest_version": INGEST_VERSION}


def read_document(
    path: Path, name: str, doc_id: str, sha: str, settings: Settings, report: SyncReport
) -> tuple[DocumentRecord, list[Chunk]] | None:
    """A corpus file as (record, chunks); None, noted in ``report.skipped``, when it cannot be read."""
    try:
        doc = load_document(path, doc_id)
    except IngestError as exc:
        report.skipped[name] = str(exc)
        log.warning("skipping %s: %s", name, exc)
        return None
    kind = document_kind(name)
    chunks = chunk_document(doc, settings.chunking, kind)
    meta = doc.metadata
    record = DocumentRecord(
        doc.doc_id, name, sha, meta.title, meta.date, meta.source, meta.published, len(chunks), doc.text, kind
    )
    return record, chunks


def index_config(settings: Settings, encoder: Encoder) -> dict:
    """What must match for stored vectors and chunks to be reused."""
    return {
        "embedding": {"model_id": encoder.model_id, "dim": encoder.dim},
        "chunking": chunking_config(settings),
    }


def staleness(manifest: dict, settings: Settings) -> list[str]:
    """Reasons the live index no longer matches the settings or the corpus folder (empty: fresh)."""
    reasons = []
    if manifest.get("embedding", {}).get("model_id") != settings.embedding_model:
        reasons.append(
            f"embedding model changed ({manifest.get('embedding', {}).get('model_id')} → {settings.embedding_model})"
        )
    if manifest.get("chunking") != chunking_config(settings):
        reasons.append("chunking settings or ingestion code changed")
    if manifest.get("index_type") != settings.retrieval.index_type:
        reasons.append(f"index type changed ({manifest.get('index_type')} → {settings.retrieval.index_type})")
    indexed = {d["file"]: d["sha256"] for d in manifest.get("documents", [])}
    indexed.update(manifest.get("skipped", {}))
    return reasons + corpus_changes(indexed, settings)


def corpus_changes(indexed: dict[str, str], settings: Settings) -> list[str]:
    """The corpus folder's files added, removed or changed against ``indexed`` (file → sha256)."""
    reasons = []
    on_disk = {name: file_sha256(p) for name, p in corpus_files(settings.corpus_dir).items()}
    for name in sorted(set(indexed) | set(on_disk)):
        if name not in on_disk:
            reasons.append(f"document removed: {name}")
        elif name not in indexed:
            reasons.append(f"document added: {name}")
        elif indexed[name] != on_disk[name]:
            reasons.append(f"document changed: {name}")
    return reasons


def _reusable(store: IndexStore, settings: Settings, encoder: Encoder) -> CorpusIndex | None:
    try:
        current = store.load()
    except MissingIndexError:
        return None
    except CorruptIndexError as exc:
        log.warning("ignoring the current index and rebuilding: %s", exc)
        return None
    config = index_config(settings, encoder)
    same = all(current.manifest.get(key) == value for key, value in config.items())
    return current if same else None


def sync_index(settings: Settings, encoder: Encoder, progress: bool = True) -> tuple[CorpusIndex, SyncReport]:
    """Bring the index in line with the corpus folder; re-embed only what changed.
    With ``settings.retrieval.store == "milvus"`` this is :func:`qa.index.milvus_sync.sync_milvus`."""
    if settings.retrieval.store == "milvus":
        from qa.index.milvus_sync import sync_milvus

        return sync_milvus(settings, encoder, progress=progress)
    started = time.perf_counter()
    store = IndexStore(settings.index_dir)
    report = SyncReport()
    with store.lock():
        previous = _reusable(store, settings, encoder)
        old_by_file = {d.file: d for d in previous.documents.values()} if previous else {}
        old_rows: dict[str, list[int]] = {}
        if previous:
            for row, chunk in enumerate(previous.chunks):
                old_rows.setdefault(chunk.doc_id, []).append(row)

        records: list[DocumentRecord] = []
        chunk_groups: list[list[Chunk]] = []
        vector_groups: list[np.ndarray | None] = []
        files = corpus_files(settings.corpus_dir)
        ids = document_ids(list(files))
        for name, path in files.items():
            sha = file_sha256(path)
            old = old_by_file.get(name)
            if old is not None and old.sha256 == sha and old.doc_id == ids[name]:
                rows = old_rows.get(old.doc_id, [])
                records.append(old)
                chunk_groups.append([previous.chunks[r] for r in rows])
                vector_groups.append(previous.vectors[rows])
                report.reused.append(old.doc_id)
                continue
            read = read_document(path, name, ids[name], sha, settings, report)
            if read is None:
                continue
            records.append(read[0])
            chunks = read[1]
            chunk_groups.append(chunks)
            vector_groups.append(None)
            report.embedded.append(read[0].doc_id)
        kept = {r.doc_id for r in records}
        report.removed = sorted(d.doc_id for d in old_by_file.values() if d.doc_id not in kept)

        to_embed = [c.embed_text for group, vecs in zip(chunk_groups, vector_groups) if vecs is None for c in group]
        fresh = encoder.encode_passages(to_embed, progress=progress) if to_embed else None
        offset = 0
        for i, vecs in enumerate(vector_groups):
            if vecs is None:
                n = len(chunk_groups[i])
                vector_groups[i] = fresh[offset : offset + n]
                offset += n
        chunks = [c for group in chunk_groups for c in group]
        dim = encoder.dim
        vectors = np.concatenate(vector_groups) if vector_groups else np.zeros((0, dim), np.float32)

        manifest = {
            **index_config(settings, encoder),
            "index_type": settings.retrieval.index_type,
            "skipped": {name: file_sha256(settings.corpus_dir / name) for name in report.skipped},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        dense = DenseIndex.build(vectors, settings.retrieval.index_type)
        lexical = LexicalIndex.build([c.embed_text for c in chunks])
        index = store.save(manifest, records, chunks, vectors, dense, lexical)
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - started
    return index, report


def open_index(settings: Settings, encoder: Encoder) -> CorpusIndex:
    """Load the live index; rebuild it when missing, corrupt or stale (if ``auto_rebuild``).
    With ``settings.retrieval.store == "milvus"``: connect to Milvus (:mod:`qa.index.milvus`)."""
    if settings.retrieval.store == "milvus":
        from qa.index.milvus_sync import open_milvus_index

        return open_milvus_index(settings, encoder)
    store = IndexStore(settings.index_dir)
    try:
        index = store.load()
        reasons = staleness(index.manifest, settings)
    except MissingIndexError:
        if not settings.auto_rebuild:
            raise
        reasons = ["no index yet"]
    except CorruptIndexError:
        if not settings.auto_rebuild:
            raise
        reasons = ["index corrupt"]
    if not reasons:
        return index
    if not settings.auto_rebuild:
        raise StaleIndexError(reasons)
    log.warning("rebuilding the index: %s", "; ".join(reasons))
    return sync_index(settings, encoder)[0]


def index_changed(settings: Settings, index) -> bool:
    """Whether the live index (on disk, or in Milvus) is newer than the loaded ``index``."""
    if isinstance(index, CorpusIndex):
        return index.changed(settings.index_dir)
    return index.changed()


def add_documents(
    settings: Settings, encoder: Encoder, paths: list[Path], kind: str | None = None, progress: bool = True
) -> tuple[CorpusIndex, SyncReport]:
    """Copy files (or the files of folders, see :func:`expand_paths`) into the corpus folder,
    under the subfolder named by their kind; every file is validated before any is copied.
    Then sync the index."""
    pairs = expand_paths(paths, kind)
    for path, _ in pairs:
        load_document(path)  # raises IngestError before anything is copied
    for path, doc_kind in pairs:
        folder = settings.corpus_dir / doc_kind if doc_kind else settings.corpus_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = free_target(folder, safe_file_name(path.name), path)
        if target is None:
            continue  # the same file is already in the corpus
        tmp = temp_beside(target)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return sync_index(settings, encoder, progress=progress)


def remove_document(
    settings: Settings, encoder: Encoder, doc_id: str, progress: bool = False
) -> tuple[CorpusIndex, SyncReport]:
    """Delete a document's file from the corpus folder, then sync (its chunks leave the index)."""
    if settings.retrieval.store == "milvus":
        from qa.index.milvus import connect_index

        index = connect_index(settings)
    else:
        index = IndexStore(settings.index_dir).load()
    record = index.documents.get(doc_id)
    if record is None:
        raise KeyError(f"no document {doc_id!r} in the index")
    (settings.corpus_dir / record.file).unlink(missing_ok=True)
    return sync_index(settings, encoder, progress=progress)
