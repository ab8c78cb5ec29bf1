"""The question-answering pipeline shared by the CLI, the Python API, evaluation and the UI.

It wires the components, each with a typed ``run()``::

    FollowupRewriter → Retriever → Answerer (EvidenceSelector → readers → RefusalPolicy → compose)

Heavy parts load lazily in :meth:`Pipeline.warm_up` (encoder, index) and on first use of
the generator.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from embeddings.encoder import SentenceTransformerEncoder
from qa.answering.answerer import Answerer
from qa.answering.types import Answer
from qa.index.base import Filters
from qa.index.building import SyncReport, add_documents, index_changed, open_index, remove_document, sync_index
from qa.index.store import CorpusIndex
from qa.search.followup import FollowupRewriter
from qa.search.hits import RetrievalResult
from qa.search.normalize import clean_question, require_question
from qa.search.retrieval import Retriever
from qa.settings import Settings, set_offline_environment

MODES = ("generative", "extractive")


class Pipeline:
    def __init__(self, settings: Settings | None = None, encoder=None, generator=None) -> None:
        set_offline_environment()
        self.settings = settings or Settings.from_env()
        self.encoder = encoder or SentenceTransformerEncoder.from_settings(self.settings)
        self._index: CorpusIndex | None = None
        self._generator = generator
        self._generator_error: str | None = None
        self._reader = None
        # Separate locks so that questions never wait on an upload being indexed or on the
        # generator loading: readers use the current index object, builders swap in a new one.
        self._load_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._generator_lock = threading.Lock()
        self.answerer = Answerer(self.settings, self.encoder)

    # -- loading --------------------------------------------------------------------------
    def warm_up(self) -> Pipeline:
        """Load the encoder and the index (rebuilding a stale one if settings allow)."""
        if self._index is None:
            with self._load_lock:
                if self._index is None:
                    self._index = open_index(self.settings, self.encoder)
        return self

    @property
    def index(self) -> CorpusIndex:
        """The current index (a consistent snapshot; builds replace it atomically)."""
        return self._index if self._index is not None else self.warm_up()._index

    @property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.encoder, self.settings.retrieval)

    @property
    def generative_reader(self):
        """The generator reader (local GGUF or OpenAI-compatible server), loaded, with its prompt
        prefixes evaluated; None when it cannot run (reason in ``generator_error``)."""
        if self._reader is not None or self._generator_error is not None:
            return self._reader
        with self._generator_lock:
            if self._reader is None and self._generator_error is None:
                try:
                    from qa.answering.generative import GenerativeReader
                    from qa.answering.generator import load_generator
                    from qa.answering.prompts import rewrite_prefix

                    generator = self._generator or load_generator(self.settings)
                    reader = GenerativeReader.from_settings(generator, self.settings.generation)
                    reader.warm_up()
                    if hasattr(generator, "remember_prefix"):
                        generator.remember_prefix(rewrite_prefix())
                    self._reader = reader
                except Exception as exc:  # missing package, corrupt parts, server down: answer extractively
                    self._generator_error = f"{type(exc).__name__}: {exc}"
            return self._reader

    @property
    def generator(self):
        """The loaded generator, or None (see :attr:`generative_reader`)."""
        reader = self.generative_reader
        return reader.generator if reader is not None else None

    @property
    def generator_error(self) -> str | None:
        return self._generator_error

    # -- asking ---------------------------------------------------------------------------
    def retrieve(
        self, question: str, k: int | None = None, mode: str = "hybrid", filters: Filters | None = None
    ) -> RetrievalResult:
        """Ranked passages for a question; raises QuestionError for unusable questions."""
        return self.retriever.retrieve(question, k=k, mode=mode, filters=filters)

    def ask(
        self,
        question: str,
        history=None,
        mode: str | None = None,
        k: int | None = None,
        on_token=None,
        filters: Filters | None = None,
        on_draft=None,
    ) -> Answer:
        """Answer a question (follow-ups resolved with ``history``); QuestionError for unusable input
        (empty, over-long, or only a name or a time with nothing asked about it).

        ``mode`` is "generative" (default from settings) or "extractive"; without a working
        generator, generative falls back to extractive (see ``Answer.note``). ``on_token``
        receives generated text pieces as they stream, ``on_draft`` the sentence the extractive
        reader found while the generator works; ``filters`` narrow the search to some documents,
        kinds of document or years.
        """
        mode = mode or self.settings.answering.mode
        if mode not in MODES:
            raise ValueError(f"mode must be 'generative' or 'extractive', not {mode!r}")
        started = time.perf_counter()
        question = clean_question(question)
        generator = self.generator if mode == "generative" else None
        rewrite = FollowupRewriter(generator).run(question, history)
        require_question(rewrite.question)
        timings = {"rewrite": (time.perf_counter() - started) * 1000}
        result = self.retrieve(rewrite.question, k=k or self.settings.answering.k, filters=filters)
        timings.update(result.timings)
        answer = self.answer_hits(question, result, generator is not None, on_token, on_draft)
        answer.timings = {**timings, **answer.timings}
        if rewrite.how != "as is":
            answer.note = f"follow-up rewritten ({rewrite.how}); {answer.note}".rstrip("; ")
        if mode == "generative" and generator is None:
            answer.note = f"generator unavailable ({self._generator_error}); {answer.note}".rstrip("; ")
        return answer

    def answer_hits(
        self, question: str, result: RetrievalResult, generative: bool, on_token=None, on_draft=None
    ) -> Answer:
        """Read, decide and compose an answer from retrieved passages."""
        reader = self.generative_reader if generative else None
        return self.answerer.run(
            question, result.rewritten, result.hits, result.query_vector, reader, self.index.years, on_token, on_draft
        )

    # -- documents ------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Pick up documents another process added or removed (a newer index version, or a
        changed document list in Milvus). Returns whether the index was reloaded."""
        index = self._index
        if index is None or not index_changed(self.settings, index):
            return False
        with self._build_lock:
            if self._index is index:
                self._index = open_index(self.settings, self.encoder)
        return True

    def sync(self, progress: bool = True) -> SyncReport:
        """Re-index the corpus folder (only new or changed documents are embedded)."""
        with self._build_lock:
            self._index, report = sync_index(self.settings, self.encoder, progress=progress)
        return report

    def remove_document(self, doc_id: str) -> SyncReport:
        with self._build_lock:
            self._index, report = remove_document(self.settings, self.encoder, doc_id)
        return report

    def add_documents(self, paths: list[Path], kind: str | None = None, progress: bool = True) -> SyncReport:
        """Copy files (or folders' files) into the corpus under their kind, then index them."""
        with self._build_lock:
            self._index, report = add_documents(self.settings, self.encoder, paths, kind, progress=progress)
        return report


_default: Pipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> Pipeline:
    """The process-wide pipeline on ``Settings.from_env()``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Pipeline()
        return _default
