"""What the page's buttons and the script API do, independent of the page's layout.

Every handler answers in Chinese and never raises into Gradio: bad input gets a message,
an internal error a polite apology (and a log line).
"""

from __future__ import annotations

import logging

import gradio as gr

from qa.ingest.decode import IngestError
from qa.search.normalize import QuestionError, clean_question
from qa.settings import Settings
from ui import render
from ui.access import ADMIN_REQUIRED, RATE_LIMITED, RateLimiter, admin_allowed, client_of
from ui.service import GENERATOR_BUSY, ChatService

log = logging.getLogger(__name__)
BUSY = "生成式回答的排队人数较多，这次先直接摘录原文作答。"
SORRY = "抱歉，系统处理这个问题时出错了，请稍后再试或换个问法。"
MODE_VALUES = ("generative", "extractive")
MAX_SOURCES = 10
EVERYTHING = ("全部文档", "")


def clean_history(history) -> list[dict]:
    """API history as [{"question": str}, ...]; anything else is dropped."""
    turns = []
    for turn in history if isinstance(history, list) else []:
        if isinstance(turn, dict) and isinstance(turn.get("question"), str):
            turns.append({"question": turn["question"]})
        elif isinstance(turn, str):
            turns.append({"question": turn})
    return turns[-10:]


class Handlers:
    def __init__(self, service: ChatService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.limiter = RateLimiter(settings.ui.rate_per_minute)

    # -- what the page shows --------------------------------------------------------------
    def status_html(self) -> str:
        status = self.service.status()
        text = f"<div><b>状态：</b>{render.esc(status.message)}"
        if status.error:
            text += f"<br>错误：{render.esc(status.error)}"
        return text + "</div>"

    def documents_html(self) -> str:
        if not self.service.index_ready:
            return "<div><b>已加载文档：</b>（索引加载中……）</div>"
        docs = self.service.documents()
        return render.documents_list(docs) if docs else "<div><b>已加载文档：</b>（没有文档，请在“文档”页上传）</div>"

    def document_rows(self) -> list[list]:
        return [
            [d["doc_id"], d["title"], d["kind"], d["date"], d["source"], d["chunks"]] for d in self.service.documents()
        ]

    def scopes(self) -> list[tuple[str, str]]:
        """Choices of where to search: everything, a kind of document, or one document."""
        documents = self.service.documents()
        kinds = sorted({d["kind"] for d in documents if d["kind"]})
        return (
            [EVERYTHING]
            + [(f"类别：{k}", f"kind:{k}") for k in kinds]
            + [(f"《{d['title']}》", f"doc:{d['doc_id']}") for d in documents]
        )

    def titles(self) -> dict[str, str]:
        return {d["doc_id"]: d["title"] for d in self.service.documents()}

    def refresh(self):
        ready = self.service.status().ready or self.service.status().error is not None
        ids = [d["doc_id"] for d in self.service.documents()]
        return (
            self.status_html(),
            self.documents_html(),
            self.document_rows(),
            gr.update(choices=ids),
            gr.update(choices=self.scopes()),
            gr.Timer(active=not ready),
        )

    # -- asking ---------------------------------------------------------------------------
    def respond(self, question, messages, turns, mode, k, scope, request: gr.Request = None):
        messages, turns = list(messages or []), list(turns or [])
        text = question or ""
        try:
            text = clean_question(text)
        except QuestionError as exc:
            messages += [
                {"role": "user", "content": render.user_message(text.strip() or "（空）")},
                {"role": "assistant", "content": render.notice_message(str(exc))},
            ]
            yield messages, "", turns
            return
        messages += [
            {"role": "user", "content": render.user_message(text)},
            {"role": "assistant", "content": render.pending_message()},
        ]
        if not self.limiter.allow(client_of(request)):
            messages[-1]["content"] = render.notice_message(RATE_LIMITED)
            yield messages, "", turns
            return
        if not self.service.index_ready:
            failed = self.service.status().error
            messages[-1]["content"] = render.notice_message(
                f"系统启动失败：{failed}" if failed else "系统还在加载索引，请稍等片刻再提问。"
            )
            yield messages, "", turns
            return
        yield messages, "", turns
        partial, draft, answer = "", "", None
        try:
            for item in self.service.ask_stream(text, history=turns, mode=mode, k=int(k), scope=scope or ""):
                if isinstance(item, tuple):
                    kind, piece = item
                    draft = piece if kind == "draft" else draft
                    partial += piece if kind == "token" else ""
                    messages[-1]["content"] = render.pending_message(partial, draft)
                    yield messages, "", turns
                else:
                    answer = item
        except QuestionError as exc:
            messages[-1]["content"] = render.notice_message(str(exc))
            yield messages, "", turns
            return
        except Exception:  # never leave a pending bubble or show a traceback
            log.exception("answering %r failed", text)
            messages[-1]["content"] = render.notice_message(SORRY)
            yield messages, "", turns
            return
        messages[-1]["content"] = render.answer_message(answer, self.titles(), int(k))
        if answer.note.startswith(GENERATOR_BUSY):
            messages[-1]["content"] += render.notice_message(BUSY)
        turns.append(
            {"question": text, "rewritten": answer.rewritten, "message": len(messages) - 1, "answer": answer.to_dict()}
        )
        yield messages, "", turns

    def on_like(self, data: gr.LikeData, turns):
        turn = next((t for t in turns or [] if t["message"] == data.index), None)
        if turn is not None:
            self.service.record_feedback(bool(data.liked), turn["question"], turn["answer"])
            gr.Info("谢谢反馈！")

    def api_ask(
        self,
        question: str,
        history: list | None = None,
        mode: str = "generative",
        k: int = 5,
        scope: str = "",
        request: gr.Request = None,
    ) -> dict:
        """Answer a question over the loaded documents; returns the answer object as JSON.
        ``scope``: "" (everything), "kind:<kind>" or "doc:<document id>"."""

        def failure(message: str) -> dict:
            return {
                "error": message,
                "refused": True,
                "answer": None,
                "reply": message,
                "sources": [],
                "citations": [],
                "answer_spans": [],
            }

        if mode not in MODE_VALUES:
            return failure(f"mode 只能是 {' 或 '.join(MODE_VALUES)}。")
        try:
            k = min(max(int(k), 1), MAX_SOURCES)
        except (TypeError, ValueError):
            return failure(f"k 必须是 1 到 {MAX_SOURCES} 的整数。")
        if not self.limiter.allow(client_of(request)):
            return failure(RATE_LIMITED)
        try:
            return self.service.ask(
                question, history=clean_history(history), mode=mode, k=k, scope=scope or ""
            ).to_dict()
        except QuestionError as exc:
            return failure(str(exc))
        except Exception:
            log.exception("api ask %r failed", question)
            return failure(SORRY)

    # -- documents ------------------------------------------------------------------------
    def _documents_outputs(self, message: str, clear_choice: bool = False):
        ids = [d["doc_id"] for d in self.service.documents()]
        choice = gr.update(choices=ids, value=None) if clear_choice else gr.update(choices=ids)
        return message, self.document_rows(), choice, self.documents_html()

    def upload(self, file, token: str = "", request: gr.Request = None, progress=gr.Progress(track_tqdm=True)):
        if file is None:
            return gr.update(), gr.update(), gr.update(), gr.update()
        if not admin_allowed(token, self.settings.ui.admin_token, self.settings.ui.host):
            return self._documents_outputs(f"❌ {ADMIN_REQUIRED}")
        path = file if isinstance(file, str) else file.name
        try:
            message = "✅ " + self.service.add_document(path, original_name=path.rsplit("/", 1)[-1])
        except IngestError as exc:
            message = f"❌ 未加入：{exc}（现有索引未改变）"
        except Exception:
            log.exception("upload of %s failed", path)
            message = "❌ 未加入：处理文件时出错（现有索引未改变），请稍后再试。"
        return self._documents_outputs(message)

    def remove(self, doc_id, token: str = "", request: gr.Request = None):
        if not doc_id:
            return self._documents_outputs("请先选择要移除的文档。")
        if not admin_allowed(token, self.settings.ui.admin_token, self.settings.ui.host):
            return self._documents_outputs(f"❌ {ADMIN_REQUIRED}")
        try:
            message = "✅ " + self.service.remove_document(doc_id)
        except IngestError as exc:
            message = f"❌ {exc}"
        except Exception:
            log.exception("removing %s failed", doc_id)
            message = "❌ 移除时出错，请稍后再试。"
        return self._documents_outputs(message, clear_choice=True)
