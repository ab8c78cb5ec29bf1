"""Assembling the GGUF from its part packages (tiny fake parts), and the real file (marked ``model``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from qa.answering import model_files
from qa.answering.model_files import DEFAULT_MODEL, MODELS, GGUFSpec, ModelAssemblyError, assemble_model
from qa.files import file_sha256

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "data" / "models"
CHUNKS = [b"GGUF-part-one|", b"second chunk bytes|", b"third"]


def _spec(chunks=CHUNKS, per_part=True, **changes) -> GGUFSpec:
    whole = b"".join(chunks)
    values = dict(
        name="fake",
        packages=("fake-part1", "fake-part2", "fake-part3"),
        modules=("fake_part1", "fake_part2", "fake_part3"),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        file_name="fake.gguf",
        version="1.0",
        part_sizes=tuple(len(c) for c in chunks) if per_part else (),
        part_sha256=tuple(hashlib.sha256(c).hexdigest() for c in chunks) if per_part else (),
    )
    values.update(changes)
    return GGUFSpec(**values)


@pytest.fixture
def parts(tmp_path) -> list[Path]:
    paths = []
    for i, chunk in enumerate(CHUNKS, 1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(chunk)
        paths.append(path)
    return paths


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or p.name == "fake.gguf")


def test_concatenates_in_order_and_stamps(tmp_path, parts):
    out = assemble_model(_spec(), tmp_path / "models", parts)
    assert out == tmp_path / "models" / "fake.gguf"
    assert out.read_bytes() == b"".join(CHUNKS)
    assert _leftovers(out.parent) == ["fake.gguf"]
    assert (out.parent / ".fake.gguf.verified.json").is_file()


def test_second_call_reuses_without_reading_parts(tmp_path, parts):
    out = assemble_model(_spec(), tmp_path, parts)
    mtime = out.stat().st_mtime_ns
    for p in parts:
        p.unlink()  # would fail if the chunks were read again
    assert assemble_model(_spec(), tmp_path, parts) == out
    (tmp_path / ".fake.gguf.verified.json").unlink()  # no stamp: re-hash, still no re-join
    assert assemble_model(_spec(), tmp_path, parts) == out
    assert out.stat().st_mtime_ns == mtime
    assert (tmp_path / ".fake.gguf.verified.json").is_file()


@pytest.mark.parametrize("per_part", [True, False])
def test_size_mismatch_names_package(tmp_path, parts, per_part):
    parts[1].write_bytes(CHUNKS[1] + b"extra")
    with pytest.raises(ModelAssemblyError) as err:
        assemble_model(_spec(per_part=per_part), tmp_path, parts)
    message = str(err.value)
    assert "pip install --force-reinstall " in message and "fake-part2==1.0" in message
    assert err.value.packages == (["fake-part2"] if per_part else list(_spec().packages))  # no sizes: all
    assert _leftovers(tmp_path) == []


def test_hash_mismatch_names_package_and_leaves_nothing(tmp_path, parts):
    parts[2].write_bytes(b"THIRD")  # same size, different bytes
    with pytest.raises(ModelAssemblyError) as err:
        assemble_model(_spec(), tmp_path, parts)
    assert err.value.packages == ["fake-part3"]
    assert "fake-part3==1.0" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_whole_file_hash_is_checked(tmp_path, parts):
    spec = _spec(per_part=False, sha256="0" * 64)
    with pytest.raises(ModelAssemblyError, match="sha256"):
        assemble_model(spec, tmp_path, parts)
    assert _leftovers(tmp_path) == []


def test_missing_part_file_names_package(tmp_path, parts):
    parts[0].unlink()
    with pytest.raises(ModelAssemblyError) as err:
        assemble_model(_spec(), tmp_path, parts)
    assert err.value.packages == ["fake-part1"]
    assert "pip install --force-reinstall fake-part1==1.0" in str(err.value)


def test_missing_package_names_it(tmp_path, monkeypatch, parts):
    def fake_import(name, *args):
        if name == "fake_part2":
            raise ModuleNotFoundError(name)
        return type("M", (), {"get_part_path": staticmethod(lambda: parts[int(name[-1]) - 1])})

    monkeypatch.setattr(model_files.importlib, "import_module", fake_import)
    with pytest.raises(ModelAssemblyError) as err:
        assemble_model(_spec(), tmp_path)
    assert err.value.packages == ["fake-part2"] and "not installed" in str(err.value)


def test_leftover_temp_and_bad_final_file_are_replaced(tmp_path, parts):
    (tmp_path / ".fake.gguf.tmp-999-deadbeef").write_bytes(b"partial")
    (tmp_path / "fake.gguf").write_bytes(b"x" * _spec().size)  # right size, wrong bytes, no stamp
    out = assemble_model(_spec(), tmp_path, parts)
    assert out.read_bytes() == b"".join(CHUNKS)
    assert _leftovers(tmp_path) == ["fake.gguf"]


def test_failure_keeps_a_good_existing_file(tmp_path, parts):
    good = assemble_model(_spec(), tmp_path, parts)
    os.utime(good, ns=(1, 1))  # stamp no longer matches: forces a re-hash, which passes
    assert assemble_model(_spec(), tmp_path, []) == good  # part list never consulted


@pytest.mark.model
def test_installed_part_packages_are_the_declared_parts():
    spec = MODELS[DEFAULT_MODEL]
    paths = model_files._part_paths(spec)
    assert [p.stat().st_size for p in paths] == list(spec.part_sizes)


@pytest.mark.model
def test_real_assembly_matches_checksum():
    spec = MODELS[DEFAULT_MODEL]
    path = assemble_model(spec, MODEL_DIR)
    assert path.stat().st_size == spec.size
    assert file_sha256(path) == spec.sha256
