"""llama.cpp kernel variants in ``eval bench``: prompt and decode speed of every llama-cpp-python
wheel that ``scripts/setup.sh`` built and cached, each imported in a subprocess of its own.

``scripts/setup.sh`` keeps one wheel per kernel variant and CPU in
``${QA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qa-llama-wheels}/<version>-<variant>-<cpukey>/``
and writes the variant it installed to ``.venv/llama-kernels``. Each wheel is unzipped into a
temp folder put first on ``PYTHONPATH`` (the project's venv python, so the other dependencies
are the project's); a subprocess that dies (SIGILL: kernels this CPU does not run) only marks
its variant "does not run here". Prompts and variants alternate so that a change of machine
load hits every variant alike.

Contracts: :func:`find_wheels`, :func:`cpu_key`, :func:`kernel_prompts`, :func:`exit_reason`
and :func:`summarize_variant` are pure (or only read the folder given); speeds are tokens/s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

LLAMA_VERSION = "0.3.36"
PROMPT_TOKENS = 350
DECODE_TOKENS = 32
FOLDER = re.compile(r"^(?P<version>[^-]+)-(?P<variant>.+)-(?P<key>[0-9a-f]{12})$")
REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, os, sys, time
args = json.loads(sys.stdin.read())
import llama_cpp
from llama_cpp import Llama
t0 = time.perf_counter()
llm = Llama(model_path=args["gguf"], n_ctx=2048, n_batch=512, n_ubatch=512, n_threads=args["threads"],
            n_threads_batch=args["threads"], verbose=False)
load_s = time.perf_counter() - t0
tokens = llm.tokenize(args["text"].encode("utf-8"), add_bos=False)[: args["prompt_tokens"]]
steps = llm.generate(tokens, temp=0.0)
t0 = time.perf_counter()
next(steps)
t1 = time.perf_counter()
for _ in range(args["decode_tokens"]):
    next(steps)
t2 = time.perf_counter()
steps.close()
print(json.dumps({"module": llama_cpp.__file__, "version": llama_cpp.__version__,
                  "system": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
                  "load_s": round(load_s, 3), "prompt_tokens": len(tokens), "decode_tokens": args["decode_tokens"],
                  "prompt_tps": round(len(tokens) / (t1 - t0), 2),
                  "decode_tps": round(args["decode_tokens"] / (t2 - t1), 2)}))
"""


def wheel_cache(env: dict | None = None) -> Path:
    """The wheel cache folder ``scripts/setup.sh`` uses."""
    env = os.environ if env is None else env
    if env.get("QA_WHEEL_CACHE"):
        return Path(env["QA_WHEEL_CACHE"]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "qa-llama-wheels"


def find_wheels(root: Path, version: str = LLAMA_VERSION) -> list[dict]:
    """One entry per ``<version>-<variant>-<cpukey>`` folder under ``root`` holding a
    ``llama_cpp_python-*.whl``: {variant, cpu_key, folder, wheel}, sorted by variant, key."""
    found = []
    if not Path(root).is_dir():
        return found
    for folder in sorted(Path(root).iterdir()):
        match = FOLDER.match(folder.name)
        wheels = sorted(folder.glob("llama_cpp_python-*.whl")) if folder.is_dir() else []
        if match and match["version"] == version and wheels:
            found.append(
                {"variant": match["variant"], "cpu_key": match["key"], "folder": str(folder), "wheel": str(wheels[-1])}
            )
    return sorted(found, key=lambda w: (w["variant"], w["cpu_key"]))


def cpu_key(flags: str) -> str:
    """What ``scripts/setup.sh`` names this CPU by: sha256 of its avx*/amx*/fma*/f16c* flags,
    sorted, one per line; first 12 hex digits."""
    kept = sorted(f for f in flags.split() if re.match(r"^(avx|amx|fma|f16c)", f))
    return hashlib.sha256("".join(f + "\n" for f in kept).encode()).hexdigest()[:12]


def this_cpu_key() -> str | None:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                return cpu_key(line.split(":", 1)[1])
    return None


def installed_variant(venv: Path | None = None) -> str | None:
    """The variant ``.venv/llama-kernels`` names (None when the file is missing)."""
    for folder in ([venv] if venv else []) + [REPO / ".venv", Path(sys.prefix)]:
        path = Path(folder) / "llama-kernels"
        if path.is_file():
            return path.read_text(encoding="utf-8").strip() or None
    return None


def kernel_prompts(text: str, count: int = 3, chars: int = 700) -> list[str]:
    """``count`` slices of ``chars`` characters, evenly spread over ``text`` (≈ 350 tokens each
    of Chinese prose for Qwen's tokenizer; the probe cuts each to :data:`PROMPT_TOKENS`)."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return [text] * count
    step = (len(text) - chars) / max(count - 1, 1)
    return [text[round(i * step) : round(i * step) + chars] for i in range(count)]


def exit_reason(returncode: int) -> str:
    """ "SIGILL" for a process killed by a signal, else "exit N"."""
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


def summarize_variant(runs: list[dict]) -> dict:
    """Median prompt and decode tokens/s over the runs that worked; a failed run makes the
    variant "does not run here (<reason>)"."""
    failed = [r for r in runs if "error" in r]
    worked = [r for r in runs if "error" not in r]
    out: dict = {"runs": len(runs)}
    if failed:
        out["status"] = f"does not run here ({failed[0]['error']})"
    else:
        out["status"] = "ok" if worked else "not measured"
    for key in ("prompt_tps", "decode_tps", "load_s"):
        out[key] = round(statistics.median(r[key] for r in worked), 2) if worked else None
    return out


def probe(site: Path, gguf: Path, text: str, threads: int, timeout_s: float = 300) -> dict:
    """One prompt through the wheel unpacked at ``site``, in a subprocess of the venv's python."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(":")}
    args = {"gguf": str(gguf), "text": text, "threads": threads}
    args.update(prompt_tokens=PROMPT_TOKENS, decode_tokens=DECODE_TOKENS)
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            input=json.dumps(args),
            env=env,
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"error": exit_reason(done.returncode), "stderr": done.stderr.strip()[-300:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_kernels(
    gguf: Path,
    corpus_text: str,
    root: Path | None = None,
    log: Callable[[str], None] = lambda m: None,
    threads: int | None = None,
) -> dict:
    """Every cached wheel of :data:`LLAMA_VERSION` on three corpus prompts, variants alternating."""
    root = Path(root) if root else wheel_cache()
    wheels = find_wheels(root)
    key = this_cpu_key()
    out: dict = {"cache": str(root), "version": LLAMA_VERSION, "installed": installed_variant(), "cpu_key": key}
    out.update(prompt_tokens=PROMPT_TOKENS, decode_tokens=DECODE_TOKENS, variants=[])
    if not wheels:
        out["note"] = f"no llama-cpp-python {LLAMA_VERSION} wheel folders under {root}"
        return out
    threads = threads or len(os.sched_getaffinity(0))
    out["threads"] = threads
    prompts = kernel_prompts(corpus_text)
    runs: dict[int, list[dict]] = {i: [] for i in range(len(wheels))}
    with tempfile.TemporaryDirectory(prefix="qa-kernels-") as tmp:
        sites = []
        for i, wheel in enumerate(wheels):
            site = Path(tmp) / str(i)
            with zipfile.ZipFile(wheel["wheel"]) as archive:
                archive.extractall(site)
            sites.append(site)
        for number, prompt in enumerate(prompts):
            for i, wheel in enumerate(wheels):
                if any("error" in r for r in runs[i]):
                    continue  # it died once: it does not run here
                log(f"bench: kernels {wheel['variant']} prompt {number + 1}/{len(prompts)}")
                runs[i].append(probe(sites[i], gguf, prompt, threads))
    for i, wheel in enumerate(wheels):
        worked = [r for r in runs[i] if "error" not in r]
        out["variants"].append(
            {
                "variant": wheel["variant"],
                "cpu_key": wheel["cpu_key"],
                "this_cpu": wheel["cpu_key"] == key,
                "wheel": wheel["wheel"],
                "imported_from_wheel": all(r["module"].startswith(str(sites[i]) + os.sep) for r in worked)
                if worked
                else None,
                "system": worked[0]["system"] if worked else None,
                **summarize_variant(runs[i]),
                "errors": [r for r in runs[i] if "error" in r][:1],
            }
        )
    return out


def measure_pipeline_kernels(pipeline, root: Path | None = None, log: Callable[[str], None] = lambda m: None) -> dict:
    """:func:`measure_kernels` with the pipeline's GGUF and corpus text (its body chunks; the
    corpus's .txt files when the index keeps no chunks in memory)."""
    from qa.answering.model_files import MODELS, assemble_model

    settings = pipeline.settings
    gguf = assemble_model(MODELS[settings.generation.model], settings.model_dir)
    chunks = getattr(pipeline.index, "chunks", None)
    if chunks:
        text = "".join(c.text for c in chunks if c.kind == "body")
    else:
        text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(settings.corpus_dir.rglob("*.txt")))
    return measure_kernels(gguf, text, root, log)
