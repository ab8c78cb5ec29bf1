"""The citizen chat page (Gradio Blocks) and its script API; the handlers live in :mod:`ui.handlers`.

API for scripts (``gradio_client``): ``client.predict(question, history, mode, k, scope,
api_name="/ask")`` returns the answer object as a dict (answer, reply, refused, sources,
citations, answer_spans, rewritten, timings_ms); bad questions return ``{"error": "...",
"refused": true}`` instead of raising. ``client.predict(file, token, api_name="/upload")``
adds a document (``token``: the administrator's, when one is configured).
"""

from __future__ import annotations

import gradio as gr

from qa.ingest.decode import EXTRACTORS, MAX_FILE_BYTES
from qa.settings import Settings
from ui.handlers import EVERYTHING, Handlers
from ui.service import ChatService

CSS = """
.refusal {border-left: 4px solid #d97706; background: #fff7ed; padding: 6px 10px;}
.answer {border-left: 4px solid #16a34a; background: #f0fdf4; padding: 6px 10px; font-weight: 600;}
.support {margin: 6px 0 0 0; padding: 4px 10px; border-left: 3px solid #cbd5e1; color: #333;}
.support-source {font-size: 0.8em; color: #666; margin-top: 2px;}
.draft {color: #555; font-size: 0.9em; margin-top: 4px;}
.rewritten {color: #555; font-size: 0.9em; margin-top: 4px;}
.sources summary {cursor: pointer; margin-top: 6px;}
.source-path {font-size: 0.85em; color: #444; margin-top: 6px;}
.source-offsets {font-size: 0.75em; color: #888;}
mark {background: #fde68a;}
.notice {color: #444;}
"""
MODES = [("生成式回答（本地大模型，较慢）", "generative"), ("快速摘录（直接引用原文，很快）", "extractive")]
TITLE = "政府文件问答"


def question_concurrency(settings: Settings) -> dict:
    """One Gradio concurrency group for every way of asking, as large as the places
    ``ChatService.admitted`` gives out (so Gradio's queue, bounded by ``max_queue_size``, holds
    the rest, and generative questions waiting for the generator never fill it for extractive ones)."""
    ui = settings.ui
    return {"concurrency_id": "questions", "concurrency_limit": ui.extractive_slots + ui.generative_waiting}


def _chat_tab(handlers: Handlers, settings: Settings, default_mode: str, turns: gr.State) -> gr.Dropdown:
    """The 问答 tab; returns its scope dropdown (refreshed when documents change)."""
    chatbot = gr.Chatbot(label="对话", elem_id="chat", height=520, sanitize_html=True)
    question = gr.Textbox(label="您的问题", elem_id="question", max_lines=4, placeholder="用日常的话提问，按回车发送")
    with gr.Row():
        send = gr.Button("提问", variant="primary", elem_id="send")
        clear = gr.Button("清空对话", elem_id="clear")
    example_buttons = []
    if settings.ui.examples:
        gr.Markdown("**试试这些问题：**")
        with gr.Row():
            example_buttons = [gr.Button(q, size="sm", elem_classes="example") for q in settings.ui.examples]
    with gr.Accordion("设置", open=False):
        scope = gr.Dropdown(handlers.scopes(), value=EVERYTHING[1], label="查询范围", elem_id="scope")
        mode = gr.Radio(MODES, value=default_mode, label="回答方式", elem_id="mode")
        k = gr.Slider(1, 10, value=settings.answering.k, step=1, label="显示出处条数", elem_id="k")
    inputs, outputs = [question, chatbot, turns, mode, k, scope], [chatbot, question, turns]
    ask = {"api_visibility": "private", **question_concurrency(settings)}
    send.click(handlers.respond, inputs, outputs, **ask)
    question.submit(handlers.respond, inputs, outputs, **ask)
    for button, text in zip(example_buttons, settings.ui.examples):
        button.click(lambda t=text: t, None, question, api_visibility="private").then(
            handlers.respond, inputs, outputs, **ask
        )
    clear.click(lambda: ([], "", []), None, [chatbot, question, turns], api_visibility="private")
    chatbot.like(handlers.on_like, [turns], None, api_visibility="private")
    return scope


def _documents_tab(handlers: Handlers, settings: Settings, documents: gr.HTML):
    """The 文档 tab; returns its table and removal choice (refreshed when documents change)."""
    gr.Markdown(
        f"支持 {' '.join(sorted(EXTRACTORS))}（PDF 需带文字层），单个文件不超过 "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MB。文件保存在服务器的数据目录，索引重启后仍在。"
    )
    token = gr.Textbox(
        label="管理员口令", type="password", elem_id="admin-token", visible=bool(settings.ui.admin_token)
    )
    upload_box = gr.File(label="上传文档", file_types=sorted(EXTRACTORS), elem_id="upload")
    status = gr.Markdown(elem_id="upload-status")
    table = gr.Dataframe(
        headers=["文档ID", "标题", "类别", "日期", "来源", "片段数"],
        value=handlers.document_rows(),
        interactive=False,
        elem_id="doc-table",
    )
    with gr.Row():
        # any id is accepted (another worker may have added it since this page loaded);
        # the handler answers politely for one that is not indexed
        choice = gr.Dropdown(label="选择要移除的文档", choices=[], elem_id="remove-choice", allow_custom_value=True)
        remove = gr.Button("移除文档", variant="stop", elem_id="remove")
    outputs = [status, table, choice, documents]
    upload_box.upload(handlers.upload, [upload_box, token], outputs, api_name="upload")
    remove.click(handlers.remove, [choice, token], outputs, api_name="remove")
    return table, choice


def build_app(service: ChatService, settings: Settings) -> gr.Blocks:
    handlers = Handlers(service, settings)
    default_mode = (
        service.effective_mode(settings.answering.mode) if service.status().ready else settings.answering.mode
    )
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n用日常语言提问，回答都注明出处；文件里没有的内容会如实告诉您。")
        status = gr.HTML(handlers.status_html(), elem_id="status")
        documents = gr.HTML(handlers.documents_html(), elem_id="documents")
        timer = gr.Timer(1.5)
        turns = gr.State([])
        with gr.Tab("问答"):
            scope = _chat_tab(handlers, settings, default_mode, turns)
        table = choice = None
        if settings.ui.documents_tab:
            with gr.Tab("文档"):
                table, choice = _documents_tab(handlers, settings, documents)
        refreshed = [status, documents, table, choice, scope, timer]
        timer.tick(
            lambda: [v for v, o in zip(handlers.refresh(), refreshed) if o is not None],
            None,
            [o for o in refreshed if o is not None],
            api_visibility="private",
        )
        gr.api(handlers.api_ask, api_name="ask", **question_concurrency(settings))
    return demo
