"""The citizen chat page (Gradio Blocks) and its script API.

API for scripts (``gradio_client``): ``client.predict(question, history, mode, k,
api_name="/ask")`` returns the answer object as a dict (answer, reply, refused,
sources, citations, rewritten, timings_ms); bad questions return
``{"error": "...", "refused": true}`` instead of raising.
"""
from __future__ import annotations

import logging

import gradio as gr

from qa.ingest import IngestError
from qa.normalize import QuestionError, clean_question
from qa.settings import Settings
from ui import render
from ui.service import ChatService

CSS = """
.refusal {border-left: 4px solid #d97706; background: #fff7ed; padding: 6px 10px;}
.answer {border-left: 4px solid #16a34a; background: #f0fdf4; padding: 6px 10px; font-weight: 600;}
.rewritten {color: #555; font-size: 0.9em; margin-top: 4px;}
.sources summary {cursor: pointer; margin-top: 6px;}
.source-path {font-size: 0.85em; color: #444; margin-top: 6px;}
.source-offsets {font-size: 0.75em; color: #888;}
mark {background: #fde68a;}
.notice {color: #444;}
"""
log = logging.getLogger(__name__)
SORRY = "抱歉，系统处理这个问题时出错了，请稍后再试或换个问法。"
MODE_VALUES = ("generative", "extractive")
MAX_SOURCES = 10
MODES = [("生成式回答（本地大模型，较慢）", "generative"), ("快速摘录（直接引用原文，很快）", "extractive")]


def _status_text(service: ChatService) -> str:
    status = service.status()
    text = f"<div><b>状态：</b>{render.esc(status.message)}"
    if status.error:
        text += f"<br>错误：{render.esc(status.error)}"
    return text + "</div>"


def _documents_text(service: ChatService) -> str:
    if not service.index_ready:
        return "<div><b>已加载文档：</b>（索引加载中……）</div>"
    docs = service.documents()
    return render.documents_list(docs) if docs else "<div><b>已加载文档：</b>（没有文档，请在“文档”页上传）</div>"


def _clean_history(history) -> list[dict]:
    """API history as [{"question": str}, ...]; anything else is dropped."""
    turns = []
    for turn in history if isinstance(history, list) else []:
        if isinstance(turn, dict) and isinstance(turn.get("question"), str):
            turns.append({"question": turn["question"]})
        elif isinstance(turn, str):
            turns.append({"question": turn})
    return turns[-10:]


def _document_rows(service: ChatService) -> list[list]:
    return [[d["doc_id"], d["title"], d["date"], d["source"], d["chunks"]] for d in service.documents()]


def build_app(service: ChatService, settings: Settings) -> gr.Blocks:
    default_mode = service.effective_mode(settings.answering.mode) if service.status().ready else \
        settings.answering.mode

    def titles() -> dict[str, str]:
        return {d["doc_id"]: d["title"] for d in service.documents()}

    def respond(question, messages, turns, mode, k):
        messages = list(messages or [])
        turns = list(turns or [])
        text = question or ""
        try:
            text = clean_question(text)
        except QuestionError as exc:
            messages += [{"role": "user", "content": render.user_message(text.strip() or "（空）")},
                         {"role": "assistant", "content": render.notice_message(str(exc))}]
            yield messages, "", turns
            return
        messages += [{"role": "user", "content": render.user_message(text)},
                     {"role": "assistant", "content": render.pending_message("")}]
        if not service.index_ready:
            failed = service.status().error
            messages[-1]["content"] = render.notice_message(
                f"系统启动失败：{failed}" if failed else "系统还在加载索引，请稍等片刻再提问。")
            yield messages, "", turns
            return
        yield messages, "", turns
        partial, answer = "", None
        try:
            for item in service.ask_stream(text, history=turns, mode=mode, k=int(k)):
                if isinstance(item, str):
                    partial += item
                    messages[-1]["content"] = render.pending_message(partial)
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
        messages[-1]["content"] = render.answer_message(answer, titles(), int(k))
        turns.append({"question": text, "rewritten": answer.rewritten, "message": len(messages) - 1,
                      "answer": answer.to_dict()})
        yield messages, "", turns

    def on_like(data: gr.LikeData, turns):
        turn = next((t for t in turns or [] if t["message"] == data.index), None)
        if turn is not None:
            service.record_feedback(bool(data.liked), turn["question"], turn["answer"])
            gr.Info("谢谢反馈！")

    def upload(file, progress=gr.Progress(track_tqdm=True)):
        if file is None:
            return gr.update(), gr.update(), gr.update()
        path = file if isinstance(file, str) else file.name
        try:
            message = "✅ " + service.add_document(path, original_name=path.rsplit("/", 1)[-1])
        except IngestError as exc:
            message = f"❌ 未加入：{exc}（现有索引未改变）"
        except Exception:
            log.exception("upload of %s failed", path)
            message = "❌ 未加入：处理文件时出错（现有索引未改变），请稍后再试。"
        return (message, _document_rows(service), gr.update(choices=[d["doc_id"] for d in service.documents()]),
                _documents_text(service))

    def remove(doc_id):
        if not doc_id:
            return "请先选择要移除的文档。", gr.update(), gr.update()
        try:
            message = "✅ " + service.remove_document(doc_id)
        except IngestError as exc:
            message = f"❌ {exc}"
        except Exception:
            log.exception("removing %s failed", doc_id)
            message = "❌ 移除时出错，请稍后再试。"
        return (message, _document_rows(service), gr.update(choices=[d["doc_id"] for d in service.documents()],
                                                            value=None), _documents_text(service))

    def refresh():
        ready = service.status().ready or service.status().error is not None
        return (_status_text(service), _documents_text(service), _document_rows(service),
                gr.update(choices=[d["doc_id"] for d in service.documents()]), gr.Timer(active=not ready))

    def api_ask(question: str, history: list | None = None, mode: str = "generative", k: int = 5) -> dict:
        """Answer a question over the loaded documents; returns the answer object as JSON."""
        def failure(message: str) -> dict:
            return {"error": message, "refused": True, "answer": None, "reply": message, "sources": [],
                    "citations": []}

        if mode not in MODE_VALUES:
            return failure(f"mode 只能是 {' 或 '.join(MODE_VALUES)}。")
        try:
            k = min(max(int(k), 1), MAX_SOURCES)
        except (TypeError, ValueError):
            return failure(f"k 必须是 1 到 {MAX_SOURCES} 的整数。")
        try:
            return service.ask(question, history=_clean_history(history), mode=mode, k=k).to_dict()
        except QuestionError as exc:
            return failure(str(exc))
        except Exception:
            log.exception("api ask %r failed", question)
            return failure(SORRY)

    with gr.Blocks(title="政府工作报告问答", analytics_enabled=False) as demo:
        gr.Markdown("# 政府工作报告问答\n用日常语言提问，回答都注明出处；报告里没有的内容会如实告诉您。")
        status = gr.HTML(_status_text(service), elem_id="status")
        documents = gr.HTML(_documents_text(service), elem_id="documents")
        timer = gr.Timer(1.5)
        turns = gr.State([])
        with gr.Tab("问答"):
            chatbot = gr.Chatbot(label="对话", elem_id="chat", height=520, sanitize_html=True)
            question = gr.Textbox(label="您的问题", elem_id="question", max_lines=4,
                                  placeholder="例如：今年地区生产总值增长目标是多少？（按回车提问）")
            with gr.Row():
                send = gr.Button("提问", variant="primary", elem_id="send")
                clear = gr.Button("清空对话", elem_id="clear")
            gr.Markdown("**试试这些问题：**")
            with gr.Row():
                example_buttons = [gr.Button(q, size="sm", elem_classes="example") for q in settings.ui.examples]
            with gr.Accordion("设置", open=False):
                mode = gr.Radio(MODES, value=default_mode, label="回答方式", elem_id="mode")
                k = gr.Slider(1, 10, value=settings.answering.k, step=1, label="显示出处条数", elem_id="k")
        with gr.Tab("文档"):
            gr.Markdown(f"支持 .txt .md .html .docx .pdf（带文字层），单个文件不超过 "
                        f"{settings_limit_mb()} MB。文件保存在服务器的数据目录，索引重启后仍在。")
            upload_box = gr.File(label="上传文档", file_types=[".txt", ".md", ".html", ".htm", ".docx", ".pdf"],
                                 elem_id="upload")
            upload_status = gr.Markdown(elem_id="upload-status")
            table = gr.Dataframe(headers=["文档ID", "标题", "日期", "来源", "片段数"], value=_document_rows(service),
                                 interactive=False, elem_id="doc-table")
            with gr.Row():
                to_remove = gr.Dropdown(label="选择要移除的文档", choices=[], elem_id="remove-choice")
                remove_button = gr.Button("移除文档", variant="stop")

        ask_inputs = [question, chatbot, turns, mode, k]
        ask_outputs = [chatbot, question, turns]
        send.click(respond, ask_inputs, ask_outputs, api_visibility="private")
        question.submit(respond, ask_inputs, ask_outputs, api_visibility="private")
        for button, text in zip(example_buttons, settings.ui.examples):
            button.click(lambda t=text: t, None, question, api_visibility="private").then(
                respond, ask_inputs, ask_outputs, api_visibility="private")
        clear.click(lambda: ([], "", []), None, [chatbot, question, turns], api_visibility="private")
        chatbot.like(on_like, [turns], None, api_visibility="private")
        upload_box.upload(upload, upload_box, [upload_status, table, to_remove, documents], api_name="upload")
        remove_button.click(remove, to_remove, [upload_status, table, to_remove, documents],
                            api_visibility="private")
        timer.tick(refresh, None, [status, documents, table, to_remove, timer], api_visibility="private")
        gr.api(api_ask, api_name="ask")
    return demo


def settings_limit_mb() -> int:
    from qa.ingest import MAX_FILE_BYTES

    return MAX_FILE_BYTES // (1024 * 1024)
