"""The query side of a sentence-transformers encoder as an int8 ONNX model (onnxruntime).

One question at a time, it encodes about 5× faster than torch float32 on one thread, with the
same retrieval hit@1/3/5 on both dev sets (README "Speed"). Queries only: passages and the
index stay float32 torch, so an index stays valid whichever backend encodes the questions.

:func:`ensure_int8_model` exports ``<model folder>/onnx/query-int8.onnx`` once (about 20 s:
``torch.onnx.export``, then onnxruntime's dynamic int8 quantization with a scale per output
channel; one scale per tensor lost a dev question at hit@5) and again when its stamp (the
weights file, the CPU's int8 range, the onnxruntime version) changes. :class:`OnnxQueryModel`
runs it with the sentence-transformers model's own tokenizer and prompt, then mean pooling and
L2 normalization, as that model's modules do.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

EXPORT_VERSION = "1"  # bump when the export recipe changes: old files are re-exported
SUBFOLDER = "onnx"
FILE_NAME = "query-int8.onnx"
STAMP_NAME = "query-int8.json"


def unsupported(model) -> str | None:
    """Why ``model`` (a SentenceTransformer) cannot run its queries here, or None: the export
    covers a transformer followed by mean pooling and normalization, e5's layout."""
    names = [type(module).__name__ for module in model]
    if names != ["Transformer", "Pooling", "Normalize"]:
        return f"modules {names}, not Transformer, Pooling, Normalize"
    if model[1].get_config_dict().get("pooling_mode") != "mean":
        return "pooling is not mean pooling"
    return None


def reduce_range() -> bool:
    """7-bit weights where the CPU lacks VNNI (onnxruntime's advice: full-range int8 can
    saturate there); with VNNI the full range is exact."""
    from embeddings.encoder import cpu_flags

    return not (cpu_flags() & {"avx512_vnni", "avx_vnni"})


def _stamp(folder: Path, reduced: bool, runtime: str) -> dict:
    """What an export depends on: any change means exporting again."""
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).exists()), None)
    stat = weights.stat() if weights else None
    return {
        "export_version": EXPORT_VERSION,
        "reduce_range": reduced,
        "onnxruntime": runtime,
        "weights": weights.name if weights else None,
        "size": stat.st_size if stat else None,
        "mtime_ns": stat.st_mtime_ns if stat else None,
    }


def _export_float32(transformer, path: Path) -> None:
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 1000, 2000, 3000, 2]], dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(transformer).eval(),
            (ids, torch.ones_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def ensure_int8_model(folder: Path, model) -> Path:
    """The int8 query model of the sentence-transformers ``model`` loaded from ``folder``,
    exported now if it is missing or its stamp differs. Safe when several processes export at
    once (each writes its own file, then renames it into place)."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    target, stamp_path = folder / SUBFOLDER / FILE_NAME, folder / SUBFOLDER / STAMP_NAME
    reduced = reduce_range()
    stamp = _stamp(folder, reduced, onnxruntime.__version__)
    if target.exists() and stamp_path.exists() and json.loads(stamp_path.read_text(encoding="utf-8")) == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"[onnx_query] exporting {target} (one-time, about 20 s)...", file=sys.stderr)
    started = time.time()
    work = target.parent / f".export-{uuid.uuid4().hex}"
    float32, int8 = work.with_suffix(".f32.onnx"), work.with_suffix(".int8.onnx")
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        # the tracer's and the quantizer's advice (warnings, root-logger lines) is not for users
        root.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _export_float32(model[0].auto_model, float32)
            quantize_dynamic(
                str(float32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=reduced
            )
        os.replace(int8, target)
        temporary = stamp_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(temporary, stamp_path)
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h not in handlers]:  # the quantizer's basicConfig
            root.removeHandler(handler)
        for leftover in (float32, int8):
            leftover.unlink(missing_ok=True)
    print(f"[onnx_query] exported {target} in {time.time() - started:.1f}s", file=sys.stderr)
    return target


class OnnxQueryModel:
    """Encodes queries with an exported model; thread-safe. onnxruntime sessions are, and the
    tokenizer, shared with sentence-transformers, is called with the settings that library
    uses: a call with other settings would reconfigure it, and a reconfiguration while another
    thread tokenizes fails inside the Rust tokenizer ("Already borrowed")."""

    def __init__(self, path: Path, tokenizer, prompt: str, max_length: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one question: a second thread measured no faster
        options.inter_op_num_threads = 1
        # idle threads that spin starve torch's threads in the same process (measured 1 s queries)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer, self.prompt, self.max_length = tokenizer, prompt, max_length

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32; ``texts`` not empty). Each text runs alone:
        int8 activations are scaled over the whole input, so in a padded batch a text's vector
        would depend on the others."""
        return np.stack([self._one(text) for text in texts])

    def _one(self, text: str) -> np.ndarray:
        batch = self.tokenizer(
            [self.prompt + text],
            padding=True,  # sentence-transformers' settings (see the class docstring)
            truncation="longest_first",
            max_length=self.max_length,
            return_tensors="np",
        )
        mask = np.asarray(batch["attention_mask"], dtype=np.int64)
        feeds = {"input_ids": np.asarray(batch["input_ids"], dtype=np.int64), "attention_mask": mask}
        hidden = self.session.run(None, feeds)[0][0]
        pooled = hidden.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
