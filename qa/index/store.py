"""The index on disk: versioned folders, a manifest, checksums, atomic switch-over.

Layout under ``index_dir``::

    CURRENT            name of the live version folder (replaced atomically)
    v-<time>-<rand>/   manifest.json, chunks.jsonl, documents.jsonl, vectors.npy,
                       dense.faiss, bm25/ ...
    .lock              held while a build writes

A build writes a whole new version folder, then swaps ``CURRENT``: a crash at any
point leaves the previous version live. Loading verifies every file's size and
sha256 against the manifest, so a truncated or corrupt file is detected.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from qa.files import exclusive_lock, file_sha256, fsync_path
from qa.index.base import (
    CorruptIndexError,
    DocumentRecord,
    Filters,
    IndexUnavailable,
    Match,
    MissingIndexError,
    StaleIndexError,
)
from qa.index.dense import DenseIndex
from qa.index.fusion import fuse
from qa.index.lexical import LexicalIndex
from qa.ingest.chunking import Chunk
from qa.settings import RetrievalSettings
from qa.text import years_named

__all__ = [
    "CorpusIndex",
    "CorruptIndexError",
    "DocumentRecord",
    "IndexStore",
    "IndexUnavailable",
    "MissingIndexError",
    "StaleIndexError",
]

FORMAT_VERSION = 2  # 2: chunks carry the document title and kind; corpus folders are recursive
KEEP_OLD_VERSIONS = 1


def corpus_years(chunks: list[Chunk], documents: dict[str, DocumentRecord]) -> frozenset[int]:
    """Every year the chunks (text, period, title) and the documents' dates mention."""
    found: set[int] = set()
    for chunk in chunks:
        found |= years_named(chunk.text) | years_named(chunk.period) | years_named(chunk.title)
    found |= {int(record.date[:4]) for record in documents.values() if record.date}
    return frozenset(found)


def newest_date(documents: dict[str, DocumentRecord]) -> date | None:
    dates = sorted(d.date for d in documents.values() if d.date)
    return date.fromisoformat(dates[-1]) if dates else None


@dataclass
class CorpusIndex:
    """The embedded index, loaded in memory: chunks, their vectors (FAISS) and BM25."""

    manifest: dict
    documents: dict[str, DocumentRecord]
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: DenseIndex
    lexical: LexicalIndex

    @functools.cached_property
    def years(self) -> frozenset[int]:
        return corpus_years(self.chunks, self.documents)

    @property
    def reference_date(self) -> date | None:
        return newest_date(self.documents)

    def changed(self, index_dir: Path) -> bool:
        """Whether another process published a newer version in ``index_dir`` since this one loaded."""
        current = IndexStore(index_dir).current_dir()
        return current is not None and current.name != self.manifest.get("version")

    def search(
        self,
        vector: np.ndarray | None,
        queries: list[str],
        n: int,
        settings: RetrievalSettings,
        filters: Filters | None = None,
    ) -> list[Match]:
        """See :meth:`qa.index.base.SearchIndex.search`. With filters, every allowed chunk is
        scored (exact), so a narrow filter still finds its ``n`` best."""
        if not self.chunks:
            return []
        allowed = None
        if filters is not None and not filters.empty:
            dates = {d.doc_id: d.date for d in self.documents.values()}
            allowed = {row for row, chunk in enumerate(self.chunks) if filters.accepts(chunk, dates.get(chunk.doc_id))}
        dense: dict[int, float] = {}
        if vector is not None:
            scores, rows = self.dense.search(vector, self.dense.size if allowed is not None else n)
            dense = {r: s for r, s in zip(rows.tolist(), scores.tolist()) if allowed is None or r in allowed}
            dense = dict(list(dense.items())[:n])
        lexical: dict[int, float] = {}
        if queries:
            bm25 = self.lexical.scores(queries)
            if allowed is not None:
                mask = np.zeros(len(bm25), dtype=bool)
                mask[list(allowed)] = True
                bm25 = np.where(mask, bm25, 0.0)
            top = np.argsort(-bm25, kind="stable")[:n]
            lexical = {int(r): float(bm25[r]) for r in top if bm25[r] > 0}
        fused = fuse(
            [dense, lexical], [settings.dense_weight, settings.lexical_weight], settings.fusion, settings.rrf_k
        )
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        return [Match(self.chunks[row], score, dense.get(row), lexical.get(row)) for row, score in ranked]


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class IndexStore:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    def lock(self):
        """Exclusive lock for writers (other processes wait)."""
        return exclusive_lock(self.index_dir / ".lock")

    def current_dir(self) -> Path | None:
        pointer = self.index_dir / "CURRENT"
        if not pointer.exists():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        return self.index_dir / name if name else None

    def read_manifest(self) -> dict:
        """The live manifest; MissingIndexError or CorruptIndexError when there is none usable."""
        folder = self.current_dir()
        if folder is None:
            raise MissingIndexError(f"no index in {self.index_dir}. Build it with: python -m qa index")
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorruptIndexError(
                f"index manifest in {folder} is unreadable ({exc}). Rebuild it with: python -m qa index"
            ) from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise CorruptIndexError(
                f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}. "
                "Rebuild it with: python -m qa index"
            )
        return manifest

    def verify(self, folder: Path, manifest: dict) -> None:
        for name, expected in manifest["files"].items():
            path = folder / name
            if not path.exists():
                raise CorruptIndexError(f"index file {path} is missing. Rebuild with: python -m qa index")
            if path.stat().st_size != expected["bytes"] or file_sha256(path) != expected["sha256"]:
                raise CorruptIndexError(
                    f"index file {path} is truncated or corrupt (checksum mismatch). Rebuild with: python -m qa index"
                )

    def load(self) -> CorpusIndex:
        manifest = self.read_manifest()
        folder = self.current_dir()
        self.verify(folder, manifest)
        try:
            documents = {}
            for row in _read_jsonl(folder / "documents.jsonl"):
                record = DocumentRecord(**row)
                documents[record.doc_id] = record
            chunks = [Chunk.from_dict(row) for row in _read_jsonl(folder / "chunks.jsonl")]
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            dense = DenseIndex.load(folder / "dense.faiss", manifest["index_type"])
            lexical = LexicalIndex.load(folder / "bm25")
        except Exception as exc:  # checksums passed, so this is a format bug or a foreign file
            raise CorruptIndexError(
                f"index in {folder} cannot be read ({exc}). Rebuild with: python -m qa index"
            ) from exc
        lexical_rows = lexical.size if chunks else 0  # bm25s keeps one placeholder row for an empty corpus
        if not (len(chunks) == len(vectors) == dense.size == lexical_rows):
            raise CorruptIndexError(
                f"index in {folder} is inconsistent (chunk and vector counts differ). Rebuild with: python -m qa index"
            )
        return CorpusIndex({**manifest, "version": folder.name}, documents, chunks, vectors, dense, lexical)

    def save(
        self,
        manifest: dict,
        documents: list[DocumentRecord],
        chunks: list[Chunk],
        vectors: np.ndarray,
        dense: DenseIndex,
        lexical: LexicalIndex,
    ) -> CorpusIndex:
        """Write a new version and make it live atomically. Call under :meth:`lock`."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = self.index_dir / f"tmp-{name}"
        tmp.mkdir()
        try:
            _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in documents))
            _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
            np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
            dense.save(tmp / "dense.faiss")
            lexical.save(tmp / "bm25")
            files = {}
            for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
                files[str(path.relative_to(tmp))] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
            manifest = {
                **manifest,
                "format_version": FORMAT_VERSION,
                "files": files,
                "documents": [d.summary() for d in documents],
                "chunk_count": len(chunks),
            }
            _write_json(tmp / "manifest.json", manifest)
            with (tmp / "manifest.json").open("rb") as handle:
                os.fsync(handle.fileno())
            os.rename(tmp, self.index_dir / name)
            pointer_tmp = self.index_dir / f"CURRENT.{uuid.uuid4().hex[:8]}.tmp"
            pointer_tmp.write_text(name, encoding="utf-8")
            with pointer_tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(pointer_tmp, self.index_dir / "CURRENT")
            fsync_path(self.index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._collect_garbage(keep=name)
        return CorpusIndex(
            {**manifest, "version": name}, {d.doc_id: d for d in documents}, chunks, vectors, dense, lexical
        )

    def _collect_garbage(self, keep: str) -> None:
        """Remove leftovers of crashed builds and all but the newest old versions."""
        versions = sorted(p for p in self.index_dir.glob("v-*") if p.is_dir() and p.name != keep)
        for old in versions[: max(0, len(versions) - KEEP_OLD_VERSIONS)]:
            shutil.rmtree(old, ignore_errors=True)
        for leftover in list(self.index_dir.glob("tmp-v-*")) + list(self.index_dir.glob("CURRENT.*.tmp")):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
