"""The question-answering pipeline object shared by the CLI, the Python API, eval and the UI.

Heavy parts (the encoder, the index) load lazily in :meth:`Pipeline.warm_up`.
"""
from __future__ import annotations

import threading
from pathlib import Path

from embeddings.encoder import SentenceTransformerEncoder
from qa.answering import Answer, extractive_answer, generative_answer
from qa.followup import rewrite_followup
from qa.index_store import CorpusIndex
from qa.normalize import clean_question
from qa.indexing import SyncReport, add_documents, open_index, remove_document, sync_index
from qa.retrieval import RetrievalResult, Retriever
from qa.settings import Settings, set_offline_environment


class Pipeline:
    def __init__(self, settings: Settings | None = None, encoder=None) -> None:
        set_offline_environment()
        self.settings = settings or Settings.from_env()
        self.encoder = encoder or SentenceTransformerEncoder(
            self.settings.embedding_model, self.settings.model_dir, self.settings.embedding_batch_size)
        self._index: CorpusIndex | None = None
        self._generator = None
        self._generator_error: str | None = None
        # Separate locks so that questions never wait on an upload being indexed or on the
        # generator loading: readers use the current index object, builders swap in a new one.
        self._load_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._generator_lock = threading.Lock()

    def warm_up(self) -> "Pipeline":
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

    def retrieve(self, question: str, k: int | None = None, mode: str = "hybrid") -> RetrievalResult:
        """Ranked passages for a question; raises QuestionError for unusable questions."""
        return self.retriever.retrieve(question, k=k, mode=mode)

    @property
    def generator(self):
        """The local generator, or None when it is not installed (reason in ``generator_error``)."""
        if self._generator is not None or self._generator_error is not None:
            return self._generator
        with self._generator_lock:
            if self._generator is None and self._generator_error is None:
                try:
                    from qa.generator import load_generator

                    self._generator = load_generator(self.settings.model_dir, self.settings.answering.generator_model)
                    self._generator.warm_up()
                except Exception as exc:  # missing package, corrupt parts: answer extractively instead
                    self._generator_error = str(exc)
            return self._generator

    @property
    def generator_error(self) -> str | None:
        return self._generator_error

    def ask(self, question: str, history=None, mode: str | None = None, k: int | None = None,
            on_token=None) -> Answer:
        """Answer a question (follow-ups resolved with ``history``); QuestionError for unusable input.

        ``mode`` is "generative" (default from settings) or "extractive"; without an
        installed generator, generative falls back to extractive (see ``Answer.note``).
        ``on_token`` receives generated text pieces as they stream.
        """
        mode = mode or self.settings.answering.mode
        if mode not in ("generative", "extractive"):
            raise ValueError(f"mode must be 'generative' or 'extractive', not {mode!r}")
        question = clean_question(question)
        standalone = rewrite_followup(question, history)
        result = self.retrieve(standalone, k=k or self.settings.answering.k)
        generator = self.generator if mode == "generative" else None
        if generator is None:
            answer = extractive_answer(question, result.rewritten, result.hits)
            if mode == "generative":
                answer.note = f"generator unavailable ({self._generator_error}); extractive answer"
        else:
            answering = self.settings.answering
            answer = generative_answer(question, result.rewritten, result.hits, generator, on_token,
                                       answering.max_new_tokens, answering.context_passages)
        answer.timings = {**result.timings, **answer.timings}
        return answer

    def sync(self, progress: bool = True) -> SyncReport:
        """Re-index the corpus folder (only new or changed documents are embedded)."""
        with self._build_lock:
            self._index, report = sync_index(self.settings, self.encoder, progress=progress)
        return report

    def remove_document(self, doc_id: str) -> SyncReport:
        with self._build_lock:
            self._index, report = remove_document(self.settings, self.encoder, doc_id)
        return report

    def add_documents(self, paths: list[Path], progress: bool = True) -> SyncReport:
        with self._build_lock:
            self._index, report = add_documents(self.settings, self.encoder, paths, progress=progress)
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
