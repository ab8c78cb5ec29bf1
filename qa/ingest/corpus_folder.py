"""The corpus folder: which of its files are documents, what each is called and of which kind,
and where an uploaded file is stored.

The folder is the source of truth for the index (:mod:`qa.index.building`, Milvus's
:mod:`qa.index.milvus_sync`): every supported file under it is a document, except hidden ones and
each folder's README; a subfolder names a kind of document.
"""

from __future__ import annotations

import os
from pathlib import Path

from qa.files import file_sha256
from qa.ingest.decode import EXTRACTORS, doc_id_for, safe_name


def is_folder_readme(path: Path) -> bool:
    """A README (README.md, readme.txt...): by convention it describes the folder it sits in
    (where its files come from, their layout), so it is not one of the folder's documents."""
    return path.stem.lower() == "readme"


def corpus_files(corpus_dir: Path) -> dict[str, Path]:
    """Supported files under the corpus folder and its subfolders, by relative POSIX path
    (hidden files and folders, and each folder's README, see :func:`is_folder_readme`, are
    skipped)."""
    if not corpus_dir.is_dir():
        return {}
    found = {}
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if (
            path.is_file()
            and path.suffix.lower() in EXTRACTORS
            and not is_folder_readme(path)
            and not any(part.startswith(".") for part in relative.parts)
        ):
            found[relative.as_posix()] = path
    return found


def document_kind(relative: str) -> str:
    """A document's kind: the first folder of its path under the corpus root ("" at the top)."""
    parts = relative.split("/")
    return parts[0] if len(parts) > 1 else ""


def document_ids(files: list[str]) -> dict[str, str]:
    """A unique doc id per relative file path: the safe stem, tagged with the type unless .txt
    (报告.txt → 报告, 报告.pdf → 报告-pdf), numbered on any remaining clash."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for relative in files:
        path = Path(relative)
        suffix = path.suffix.lower()
        base = doc_id_for(path) + ("" if suffix == ".txt" else f"-{suffix[1:]}")
        doc_id, n = base, 2
        while doc_id in taken:
            doc_id, n = f"{base}-{n}", n + 1
        taken.add(doc_id)
        ids[relative] = doc_id
    return ids


def safe_file_name(name: str) -> str:
    """A corpus file name with no path parts or odd characters (keeps the extension); a README
    chosen on its own is a document, so it is stored under a name the corpus scan keeps."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = safe_name(stem)
    if is_folder_readme(Path(base)):
        stem += "-文档"
    return f"{stem}{suffix.lower()}"


def expand_paths(paths: list[Path], kind: str | None = None) -> list[tuple[Path, str]]:
    """(file, kind) pairs: a file keeps ``kind`` (default ""); a folder gives its supported
    files, with the folder's name as their kind unless ``kind`` is given."""
    pairs = []
    for path in map(Path, paths):
        if path.is_dir():
            pairs += [
                (file, kind if kind is not None else safe_name(path.name)) for file in corpus_files(path).values()
            ]
        else:
            pairs.append((path, kind or ""))
    return pairs


def free_target(corpus_dir: Path, name: str, source: Path) -> Path | None:
    """Where to store ``source`` without replacing another document (None: already there)."""
    target, stem, suffix, n = corpus_dir / name, Path(name).stem, Path(name).suffix, 2
    while target.exists():
        if target.resolve() == source.resolve() or file_sha256(target) == file_sha256(source):
            return None
        target, n = corpus_dir / f"{stem}-{n}{suffix}", n + 1
    return target
