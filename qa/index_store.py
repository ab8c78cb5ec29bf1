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

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from embeddings.faiss_index import DenseIndex
from qa.chunking import Chunk
from qa.lexical import LexicalIndex

FORMAT_VERSION = 1
KEEP_OLD_VERSIONS = 1


class IndexUnavailable(RuntimeError):
    """Base class: the index cannot be used as it is; the message says what to do."""


class MissingIndexError(IndexUnavailable):
    pass


class CorruptIndexError(IndexUnavailable):
    pass


class StaleIndexError(IndexUnavailable):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("索引已过期 (index is stale): " + "; ".join(reasons)
                         + ". Rebuild it with: python -m qa index")


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

    def summary(self) -> dict:
        out = asdict(self)
        out.pop("text")
        return out


@dataclass
class CorpusIndex:
    """Everything a query needs, loaded in memory."""

    manifest: dict
    documents: dict[str, DocumentRecord]
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: DenseIndex
    lexical: LexicalIndex

    @property
    def reference_date(self) -> date | None:
        """The newest document date: what 今年/去年 mean for this corpus."""
        dates = sorted(d.date for d in self.documents.values() if d.date)
        return date.fromisoformat(dates[-1]) if dates else None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    @contextlib.contextmanager
    def lock(self):
        """Exclusive lock for writers (other processes wait)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

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
            raise CorruptIndexError(f"index manifest in {folder} is unreadable ({exc}). "
                                    "Rebuild it with: python -m qa index") from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise CorruptIndexError(f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}. "
                                    "Rebuild it with: python -m qa index")
        return manifest

    def verify(self, folder: Path, manifest: dict) -> None:
        for name, expected in manifest["files"].items():
            path = folder / name
            if not path.exists():
                raise CorruptIndexError(f"index file {path} is missing. Rebuild with: python -m qa index")
            if path.stat().st_size != expected["bytes"] or _sha256_file(path) != expected["sha256"]:
                raise CorruptIndexError(f"index file {path} is truncated or corrupt (checksum mismatch). "
                                        "Rebuild with: python -m qa index")

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
            raise CorruptIndexError(f"index in {folder} cannot be read ({exc}). "
                                    "Rebuild with: python -m qa index") from exc
        lexical_rows = lexical.size if chunks else 0  # bm25s keeps one placeholder row for an empty corpus
        if not (len(chunks) == len(vectors) == dense.size == lexical_rows):
            raise CorruptIndexError(f"index in {folder} is inconsistent (chunk and vector counts differ). "
                                    "Rebuild with: python -m qa index")
        return CorpusIndex(manifest, documents, chunks, vectors, dense, lexical)

    def save(self, manifest: dict, documents: list[DocumentRecord], chunks: list[Chunk],
             vectors: np.ndarray, dense: DenseIndex, lexical: LexicalIndex) -> CorpusIndex:
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
                files[str(path.relative_to(tmp))] = {"bytes": path.stat().st_size, "sha256": _sha256_file(path)}
            manifest = {**manifest, "format_version": FORMAT_VERSION, "files": files,
                        "documents": [d.summary() for d in documents], "chunk_count": len(chunks)}
            _write_json(tmp / "manifest.json", manifest)
            with (tmp / "manifest.json").open("rb") as handle:
                os.fsync(handle.fileno())
            os.rename(tmp, self.index_dir / name)
            pointer_tmp = self.index_dir / f"CURRENT.{uuid.uuid4().hex[:8]}.tmp"
            pointer_tmp.write_text(name, encoding="utf-8")
            with pointer_tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(pointer_tmp, self.index_dir / "CURRENT")
            _fsync_dir(self.index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._collect_garbage(keep=name)
        return CorpusIndex(manifest, {d.doc_id: d for d in documents}, chunks, vectors, dense, lexical)

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
