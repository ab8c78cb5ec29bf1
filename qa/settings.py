"""One typed settings object shared by the CLI, the Python API, evaluation and the UI.

Defaults suit the shipped corpus. Environment variables override the paths
(``QA_DATA_DIR``, ``QA_CORPUS_DIR``, ``QA_INDEX_DIR``, ``QA_MODEL_DIR``), the embedding
model (``QA_EMBEDDING_MODEL``), the index store (``QA_MILVUS_URI``) and the generator
(``QA_LLM_BASE_URL``, ``QA_LLM_MODEL``, ``QA_LLM_API_KEY``). Every tuning number lives
here, with where it came from; the ones ``python -m eval calibrate`` fits live in
:mod:`qa.fitted`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.fitted import FITTED_ENCODER, ExtractiveSettings, RefusalSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = FITTED_ENCODER  # the fitted numbers in qa/fitted.py hold for this encoder


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
    dense_weight: float = 1.0  # 0.5-2.0 tried on the tuning splits: 1.0 best on both (README, "Retrieval")
    lexical_weight: float = 1.0
    period_weight: float = 0.3  # boost chunks of the period a question names, demote other periods
    index_type: str = "flat"  # "flat" (exact) or "hnsw" (approximate, for big corpora)
    store: str = "local"  # "local" (FAISS + bm25s in index_dir) or "milvus" (QA_MILVUS_URI)
    milvus_uri: str = ""  # a milvus-lite file ("data/milvus.db") or a server ("http://host:19530")
    milvus_collection: str = "qa_chunks"

    def __post_init__(self) -> None:
        if self.store not in ("local", "milvus"):
            raise ValueError(f"store must be 'local' or 'milvus', not {self.store!r}")
        if self.fusion not in ("rrf", "score"):
            raise ValueError(f"fusion must be 'rrf' or 'score', not {self.fusion!r}")
        if self.index_type not in ("flat", "hnsw"):
            raise ValueError(f"index_type must be 'flat' or 'hnsw', not {self.index_type!r}")
        if self.k < 1 or self.candidates < 1:
            raise ValueError("k and candidates must be positive")


@dataclass(frozen=True)
class EvidenceSettings:
    """Which sentences of the retrieved passages the readers see (:mod:`qa.answering.evidence`).

    A sentence's score = own_weight × its coverage of the question + context_weight × the
    coverage of it with its section path + rank_weight × its passage's retrieval score
    (relative to the best) ± type_weight when it holds (or lacks) the kind of thing asked.
    Chosen on data/qa/*_tune.jsonl. ``python -m eval evidence`` shows how often the gold sentence
    is selected over a grid of these settings: 4 sentences, 500 characters and the leader of each
    of the top 3 passages raise that recall (report 0.957 → 0.967, laws 0.85 → 0.90, 168 → 232
    characters), but the generator's answers on the same tuning questions got no better (F1 of
    its raw answers: report 0.860 → 0.866, laws 0.693 → 0.652; more sentences are more
    distractors) and 30% slower, so the shorter list stays.
    """

    hits: int = 5
    max_sentences: int = 3
    max_chars: int = 300
    own_weight: float = 1.0
    context_weight: float = 0.5
    rank_weight: float = 1.5
    type_weight: float = 0.2
    period_weight: float = 0.3  # + when the sentence's period is the one asked about, - when disjoint
    dense_weight: float = 2.0  # × cosine similarity of sentence and question (generative mode only)
    per_hit_leaders: int = 0  # the best sentence of each of this many top passages is always kept
    # sentence vectors kept in memory (384 floats each: 20,000 ≈ 30 MB); encoding the ~30
    # sentences of the top passages took 245 ms of a generative answer (reports/latest, 2026-11-28)
    vector_cache: int = 20_000


@dataclass(frozen=True)
class GenerationSettings:
    """The generator: the local GGUF, or an OpenAI-compatible server when ``llm_base_url`` is set
    (``QA_LLM_BASE_URL``, ``QA_LLM_MODEL``, ``QA_LLM_API_KEY``; the key is never logged)."""

    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    n_ctx: int = 2048
    n_batch: int = 512  # 8 was ~1.7x slower than 512 on the same prompts (shared/notes/models.md)
    n_threads: int = 0  # 0: every core this process may use
    # Read the GGUF into memory instead of mapping it: llama.cpp repacks the weights for its CPU
    # kernels anyway, and the mapped originals stayed resident too (RSS 1.83 vs 1.24 GiB, measured).
    use_mmap: bool = False
    max_new_tokens: int = 64
    # The answer may only copy the evidence (qa.answering.copying; the local generator only):
    # measured on the tuning splits, see README "Answering".
    copy_evidence: bool = True
    # Yes-or-no questions may not be answered "not found" while copying: the model copies the
    # rule that settles the question, and its inclination to say "not found" becomes the refusal
    # policy's doubt (qa.answering.generative.copy_spec; laws tuning split, README "Answering").
    withhold_not_found_yesno: bool = True
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout_s: float = 60.0
    llm_retries: int = 2


@dataclass(frozen=True)
class AnswerSettings:
    """How answers are produced."""

    mode: str = "generative"  # "generative" (local LLM, grounded) or "extractive" (no LLM, fast)
    k: int = 5  # passages retrieved for answering (and shown as sources)

    def __post_init__(self) -> None:
        if self.mode not in ("generative", "extractive"):
            raise ValueError(f"answer mode must be 'generative' or 'extractive', not {self.mode!r}")


@dataclass(frozen=True)
class UISettings:
    """The Gradio chat server."""

    host: str = "127.0.0.1"
    port: int = 7860
    # Questions answered at once per mode (ui/service.py ChatService.admitted). Extractive: 4, the
    # limit Gradio applied to all questions before (an answer takes ~20 ms of one core; more at
    # once share the two cores). Generative: the local generator writes one answer at a time,
    # 2-3 s each alone (README "Speed"); past ``generative_waiting`` questions in its line (the
    # one being written included) a new one is answered extractively at once and the page says
    # so. A generator server (llm_base_url) is not limited here.
    extractive_slots: int = 4
    generative_waiting: int = 4
    concurrency_limit: int = 4  # other requests (uploads, status) served at once
    max_queue_size: int = 256
    feedback_file: str = "feedback/feedback.jsonl"  # relative to data_dir
    rate_per_minute: int = 20  # questions one client may ask per minute (0: no limit)
    admin_token: str = field(default="", repr=False)  # QA_ADMIN_TOKEN: needed to upload or remove documents
    documents_tab: bool = True  # the 文档 tab (upload, list, remove)
    # Example questions shown on the page: deployment configuration for the shipped corpus
    # (QA_UI_EXAMPLES, separated by "|", replaces them; empty shows none).
    examples: tuple[str, ...] = (
        "今年全市经济增长的目标定的是多少？",
        "这五年全市有多少贫困人口脱了贫？",
        "今年打算新建多少亩高标准农田？",
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
    # "auto": bfloat16 where the CPU has bf16 dot products (see embeddings.encoder.resolve_dtype),
    # else float32; QA_EMBEDDING_DTYPE overrides. Measured in README, "Speed".
    embedding_dtype: str = "float32"
    # How questions are encoded: "onnx-int8" (embeddings.onnx_query; single questions ~5x faster
    # than torch float32 with the same hit@1/3/5 on both dev sets, README "Speed") or "torch".
    # Passages are always torch float32. QA_EMBEDDING_QUERY_BACKEND overrides.
    embedding_query_backend: str = "onnx-int8"
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnswerSettings = field(default_factory=AnswerSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    extractive: ExtractiveSettings = field(default_factory=ExtractiveSettings)
    refusal: RefusalSettings = field(default_factory=RefusalSettings)
    ui: UISettings = field(default_factory=UISettings)
    auto_rebuild: bool = True  # rebuild a stale index on load instead of refusing it

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        for name, default in (("corpus_dir", "corpus"), ("index_dir", "index"), ("model_dir", "models")):
            value = getattr(self, name)
            object.__setattr__(self, name, Path(value) if value is not None else data_dir / default)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then environment variables, then explicit keyword overrides."""
        env = {
            "data_dir": os.environ.get("QA_DATA_DIR"),
            "corpus_dir": os.environ.get("QA_CORPUS_DIR"),
            "index_dir": os.environ.get("QA_INDEX_DIR"),
            "model_dir": os.environ.get("QA_MODEL_DIR"),
            "embedding_model": os.environ.get("QA_EMBEDDING_MODEL"),
            "embedding_dtype": os.environ.get("QA_EMBEDDING_DTYPE"),
            "embedding_query_backend": os.environ.get("QA_EMBEDDING_QUERY_BACKEND"),
        }
        values = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        milvus = os.environ.get("QA_MILVUS_URI")
        if milvus and "retrieval" not in overrides:
            settings = settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri=milvus))
        ui = {"admin_token": os.environ.get("QA_ADMIN_TOKEN")}
        if os.environ.get("QA_UI_RATE_PER_MINUTE"):
            ui["rate_per_minute"] = int(os.environ["QA_UI_RATE_PER_MINUTE"])
        if "QA_UI_EXAMPLES" in os.environ:
            ui["examples"] = tuple(q for q in os.environ["QA_UI_EXAMPLES"].split("|") if q.strip())
        if any(v is not None for v in ui.values()) and "ui" not in overrides:
            settings = settings.replace(ui=replace(settings.ui, **{k: v for k, v in ui.items() if v is not None}))
        llm = {name: os.environ.get(f"QA_{name.upper()}") for name in ("llm_base_url", "llm_model", "llm_api_key")}
        if any(llm.values()) and "generation" not in overrides:
            settings = settings.replace(generation=replace(settings.generation, **{k: v for k, v in llm.items() if v}))
        return settings

    def replace(self, **changes) -> Settings:
        return replace(self, **changes)
