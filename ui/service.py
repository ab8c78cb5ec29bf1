"""What the chat UI and its API need from the pipeline, independent of Gradio.

:class:`ChatService` warms the pipeline up in the background (the page opens at
once and shows progress), streams answers, manages documents (upload, list,
remove) and logs feedback. Every public method is safe to call from Gradio's
worker threads.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.answering.types import Answer
from qa.index.base import Filters
from qa.ingest.corpus_folder import safe_file_name
from qa.ingest.decode import MAX_FILE_BYTES, IngestError
from qa.pipeline import Pipeline
from qa.search.normalize import QuestionError

log = logging.getLogger(__name__)

GENERATOR_BUSY = "generator busy: answered extractively"  # starts Answer.note when that happened


@dataclass
class Status:
    ready: bool
    message: str
    error: str | None = None


class FeedbackLog:
    """Append-only JSONL, one record per line; an exclusive lock keeps concurrent lines whole."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **record}, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class ChatService:
    def __init__(self, pipeline: Pipeline, feedback_path: Path, use_generator: bool = True) -> None:
        self.pipeline = pipeline
        self.feedback = FeedbackLog(feedback_path)
        self.use_generator = use_generator
        self._status = Status(False, "正在启动……")
        self._documents_lock = threading.Lock()
        ui = pipeline.settings.ui
        self._extractive_slots = threading.BoundedSemaphore(ui.extractive_slots)
        self._generative_waiting = threading.BoundedSemaphore(ui.generative_waiting)

    # -- start-up -------------------------------------------------------------------------
    def start(self) -> None:
        """Warm up in a background thread; :meth:`status` reports progress."""
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()

    def _follow_index(self, every_s: float = 2.0) -> None:
        """Reload the index when another worker changed the documents."""
        while True:
            time.sleep(every_s)
            try:
                if self.pipeline.refresh():
                    log.info("documents changed elsewhere: index reloaded")
            except Exception:  # a half-written version or an unreachable store: try again later
                log.exception("checking the index for changes failed")

    def _warm_up(self) -> None:
        try:
            self._status = Status(False, "正在加载检索模型和索引（首次启动需要建立索引，约一分钟）……")
            self.pipeline.warm_up()
            if self.use_generator:
                self._status = Status(False, "检索已就绪；正在加载本地生成模型……（此时可先用“快速摘录”模式提问）")
                self.pipeline.generator  # noqa: B018 - loads it; failures are recorded, not raised
            message = "已就绪。"
            if self.use_generator and self.pipeline.generator is None:
                message += f" 生成模型不可用，将使用快速摘录模式（{self.pipeline.generator_error}）。"
            self._status = Status(True, message)
            threading.Thread(target=self._follow_index, name="follow-index", daemon=True).start()
        except Exception as exc:  # shown on the page instead of crashing the server
            self._status = Status(False, "启动失败。", f"{type(exc).__name__}: {exc}")

    def status(self) -> Status:
        return self._status

    @property
    def index_ready(self) -> bool:
        return self.pipeline._index is not None

    # -- questions ------------------------------------------------------------------------
    def effective_mode(self, mode: str) -> str:
        if mode == "generative" and (not self.use_generator or self.pipeline.generator is None):
            return "extractive"
        return mode

    def filters(self, scope: str | None) -> Filters | None:
        """The search filter a scope names: "" (everything), "kind:<kind>" or "doc:<doc id>"."""
        scope = (scope or "").strip()
        if not scope:
            return None
        what, _, value = scope.partition(":")
        if what == "kind":
            return Filters(kinds=frozenset({value}))
        if what == "doc":
            return Filters(doc_ids=frozenset({value}))
        raise QuestionError(f"无法识别的查询范围“{scope}”；请用空值（全部）、kind:类别 或 doc:文档ID。")

    @contextmanager
    def admitted(self, mode: str) -> Iterator[str]:
        """Hold a place for one question while it is answered; yields the mode it is answered in.
        Extractive questions wait for one of ``extractive_slots``; generative ones for the local
        generator take a place among ``generative_waiting`` without waiting, or, when all are
        taken, are answered extractively ("busy"), so a queue of generative questions never
        delays extractive ones."""
        mode = self.effective_mode(mode)
        if mode == "generative" and self.pipeline.settings.generation.llm_base_url:
            yield mode  # a server answers many at once: Gradio's concurrency group bounds them
            return
        if mode == "generative":
            if self._generative_waiting.acquire(blocking=False):
                try:
                    yield mode
                finally:
                    self._generative_waiting.release()
                return
            mode = "busy"
        with self._extractive_slots:
            yield mode

    def _ask(self, question: str, history, mode: str, k: int, filters, **callbacks) -> Answer:
        with self.admitted(mode) as admitted:
            answered = "extractive" if admitted == "busy" else admitted
            answer = self.pipeline.ask(question, history=history, mode=answered, k=k, filters=filters, **callbacks)
        if admitted == "busy":
            answer.note = f"{GENERATOR_BUSY}; {answer.note}".rstrip("; ")
        return answer

    def ask(self, question: str, history=None, mode: str = "generative", k: int = 5, scope: str = "") -> Answer:
        """Blocking answer (raises QuestionError for unusable questions)."""
        return self._ask(question, history, mode, k, self.filters(scope))

    def ask_stream(
        self, question: str, history=None, mode: str = "generative", k: int = 5, scope: str = ""
    ) -> Iterator:
        """Yields ("draft", sentence) and ("token", piece) events as they come, then the final
        :class:`Answer`."""
        events: queue.Queue = queue.Queue()
        outcome: dict = {}
        filters = self.filters(scope)

        def work() -> None:
            try:
                outcome["answer"] = self._ask(
                    question,
                    history,
                    mode,
                    k,
                    filters,
                    on_token=lambda piece: events.put(("token", piece)),
                    on_draft=lambda sentence: events.put(("draft", sentence)),
                )
            except BaseException as exc:  # re-raised in the caller's thread
                outcome["error"] = exc
            finally:
                events.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (event := events.get()) is not None:
            yield event
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["answer"]

    # -- documents ------------------------------------------------------------------------
    def documents(self) -> list[dict]:
        if not self.index_ready:
            return []
        return [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "date": d.date or "",
                "source": d.source or "",
                "chunks": d.chunks,
                "file": d.file,
                "kind": d.kind,
            }
            for d in self.pipeline.index.documents.values()
        ]

    def add_document(self, path: Path, original_name: str | None = None) -> str:
        """Validate, store under the corpus folder with a safe name, index. Returns a Chinese message."""
        name = safe_file_name(original_name or Path(path).name)
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限，未加入。")
        staged = Path(path).with_name(name) if Path(path).name != name else Path(path)
        if staged != Path(path):
            staged.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, staged)
        with self._documents_lock:  # add_documents validates the file before anything changes
            report = self.pipeline.add_documents([staged], progress=True)  # tqdm, shown by the UI
        if not report.embedded:
            return "这个文件已经在文档库中，无需重复加入。"
        title = self.pipeline.index.documents[report.embedded[-1]].title
        return f"已加入《{title}》：索引共 {report.chunks} 个片段，用时 {report.seconds:.1f} 秒。"

    def remove_document(self, doc_id: str) -> str:
        with self._documents_lock:
            record = self.pipeline.index.documents.get(doc_id)
            if record is None:
                raise IngestError(f"没有找到文档 {doc_id}。")
            self.pipeline.remove_document(doc_id)
        return f"已移除《{record.title}》。"

    # -- feedback -------------------------------------------------------------------------
    def record_feedback(self, liked: bool, question: str, answer: dict | None) -> None:
        answer = answer or {}
        self.feedback.append(
            {
                "liked": liked,
                "question": question,
                "reply": answer.get("reply"),
                "answer": answer.get("answer"),
                "refused": answer.get("refused"),
                "sources": [
                    {k: s.get(k) for k in ("doc", "section", "start", "end")} for s in answer.get("sources", [])
                ],
            }
        )
