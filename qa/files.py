"""File helpers shared by every on-disk artefact (index versions, the assembled GGUF, the
embedding model folder, uploads, feedback): checksums, one exclusive lock, atomic writes.

Contract of :func:`atomic_write` and :func:`temp_beside` + ``os.replace``: a reader sees the
old file or the new one, never a half-written one, even across ``kill -9`` or a full disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@contextlib.contextmanager
def exclusive_lock(path: str | Path):
    """Hold an exclusive ``flock`` on ``path`` (created if missing); other processes wait.

    The lock is released when the block ends or the process dies.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def temp_beside(path: str | Path, tag: str = "tmp") -> Path:
    """A fresh hidden name in ``path``'s folder (``.name.tag-<pid>-<rand>``); see :func:`remove_temps`."""
    path = Path(path)
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def remove_temps(path: str | Path, tag: str = "tmp") -> None:
    """Remove what crashed writers left by :func:`temp_beside` (files or folders)."""
    path = Path(path)
    for stale in path.parent.glob(f".{path.name}.{tag}-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def fsync_path(path: str | Path) -> None:
    """Flush a file's or a folder's entry to disk (a folder: make a rename durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` atomically and durably (UTF-8 for ``str``)."""
    path = Path(path)
    tmp = temp_beside(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_path(path.parent)
