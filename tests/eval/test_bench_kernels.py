"""llama.cpp kernel variants built by set-up: eval/bench_kernels.py, with fake wheels."""

import hashlib
import zipfile
from pathlib import Path

from eval import bench_kernels
from eval.bench_kernels import (
    cpu_key,
    exit_reason,
    find_wheels,
    installed_variant,
    kernel_prompts,
    measure_kernels,
    summarize_variant,
    wheel_cache,
)


def _wheel(folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("llama_cpp/__init__.py", "")
    return path


def test_find_wheels_parses_version_variant_and_cpu_key(tmp_path):
    _wheel(tmp_path / "0.3.36-avx512-amx-0123456789ab")
    _wheel(tmp_path / "0.3.36-avx2-0123456789ab")
    _wheel(tmp_path / "0.3.35-avx2-0123456789ab")  # another version
    (tmp_path / "0.3.36-avx512-0123456789ab").mkdir()  # no wheel (a failed build)
    _wheel(tmp_path / "0.3.36-avx2-notakey")
    found = find_wheels(tmp_path)
    assert [(w["variant"], w["cpu_key"]) for w in found] == [("avx2", "0123456789ab"), ("avx512-amx", "0123456789ab")]
    assert found[1]["wheel"].endswith(".whl") and Path(found[1]["folder"]).name == "0.3.36-avx512-amx-0123456789ab"
    assert find_wheels(tmp_path / "missing") == []
    assert find_wheels(tmp_path, version="0.3.35")[0]["variant"] == "avx2"


def test_wheel_cache_and_cpu_key_follow_setup_sh(tmp_path):
    assert wheel_cache({"QA_WHEEL_CACHE": "/w"}) == Path("/w")
    assert wheel_cache({"XDG_CACHE_HOME": "/x"}) == Path("/x/qa-llama-wheels")
    # setup.sh: echo "$flags" | tr ' ' '\n' | grep -E '^(avx|amx|fma|f16c)' | sort | sha256sum | cut -c1-12
    expected = hashlib.sha256(b"amx_tile\navx2\navx512f\nf16c\nfma\n").hexdigest()[:12]
    assert cpu_key("fpu sse avx512f fma avx2 f16c amx_tile sse4_2") == expected
    (tmp_path / "llama-kernels").write_text("avx2\n", encoding="utf-8")
    assert installed_variant(tmp_path) == "avx2"


def test_kernel_prompts_exit_reason_and_variant_summary():
    text = "".join(f"第{i}句话。" for i in range(1000))
    prompts = kernel_prompts(text, count=3, chars=700)
    assert len(prompts) == 3 and all(len(p) == 700 for p in prompts)
    assert prompts[0].startswith("第0句") and prompts[-1] == " ".join(text.split())[-700:]
    assert kernel_prompts("短", count=3) == ["短"] * 3
    assert exit_reason(-4) == "SIGILL" and exit_reason(-9) == "SIGKILL" and exit_reason(1) == "exit 1"
    ok = summarize_variant([{"prompt_tps": 10.0, "decode_tps": 2.0, "load_s": 1.0}, {"prompt_tps": 30.0,
                            "decode_tps": 4.0, "load_s": 3.0}])  # fmt: skip
    assert ok == {"runs": 2, "status": "ok", "prompt_tps": 20.0, "decode_tps": 3.0, "load_s": 2.0}
    dead = summarize_variant([{"error": "SIGILL"}])
    assert dead["status"] == "does not run here (SIGILL)" and dead["prompt_tps"] is None


def test_measure_kernels_alternates_and_drops_a_dead_variant(tmp_path, monkeypatch):
    _wheel(tmp_path / "0.3.36-avx2-0123456789ab")
    _wheel(tmp_path / "0.3.36-avx512-amx-0123456789ab")
    calls = []

    def fake_probe(site, gguf, text, threads, timeout_s=300):
        variant = "avx2" if site.name == "0" else "avx512-amx"
        calls.append((variant, text[:3]))
        assert (site / "llama_cpp" / "__init__.py").is_file()  # the wheel was unpacked there
        if variant == "avx512-amx":
            return {"error": "SIGILL"}
        return {"module": str(site / "llama_cpp" / "__init__.py"), "system": "AVX2 = 1", "prompt_tps": 50.0,
                "decode_tps": 8.0, "load_s": 1.0}  # fmt: skip

    monkeypatch.setattr(bench_kernels, "probe", fake_probe)
    text = "".join(chr(0x4E00 + i % 500) for i in range(3000))
    out = measure_kernels(tmp_path / "model.gguf", text, tmp_path, threads=2)
    prompts = [p[:3] for p in kernel_prompts(text)]
    assert calls == [("avx2", prompts[0]), ("avx512-amx", prompts[0]), ("avx2", prompts[1]), ("avx2", prompts[2])]
    by_variant = {v["variant"]: v for v in out["variants"]}
    assert by_variant["avx2"]["status"] == "ok" and by_variant["avx2"]["prompt_tps"] == 50.0
    assert by_variant["avx2"]["imported_from_wheel"] is True
    assert by_variant["avx512-amx"]["status"] == "does not run here (SIGILL)"
    empty = measure_kernels(tmp_path / "model.gguf", text, tmp_path / "none")
    assert empty["variants"] == [] and "no llama-cpp-python 0.3.36 wheel" in empty["note"]
