"""HTML for chat messages. Every piece of user or document text is escaped here,
so a question or a document containing ``<script>`` is shown as text, never run."""

from __future__ import annotations

from html import escape

from qa.answering.types import Answer
from qa.text import short_title, squeeze_spaces

MAX_SHOWN_QUESTION = 300


def esc(text: str) -> str:
    return escape(text or "", quote=True)


def user_message(question: str) -> str:
    """The citizen's words as an HTML block: escaped, and never read as Markdown (no remote images)."""
    shown = question if len(question) <= MAX_SHOWN_QUESTION else question[:MAX_SHOWN_QUESTION] + "……"
    return f'<div class="question">{esc(shown)}</div>'


def documents_list(documents: list[dict]) -> str:
    """The loaded documents as an HTML block (titles come from uploaded files: escaped)."""
    items = "".join(f"<li>《{esc(d['title'])}》 {esc(d['date'])}（{d['chunks']} 个片段）</li>" for d in documents)
    return f"<div><b>已加载文档：</b><ul>{items}</ul></div>"


def pending_message(partial: str = "", draft: str = "") -> str:
    """While answering: the sentence found so far (at once), then the generated text as it streams."""
    found = f'<div class="draft">找到的原文：{esc(squeeze_spaces(draft))}</div>' if draft else ""
    status = esc(partial) if partial else ("正在生成回答……" if draft else "正在检索和作答……")
    return f'<div class="pending">⏳ {status}{found}</div>'


def _highlighted(text: str, start: int | None, end: int | None) -> str:
    if start is None or end is None or not 0 <= start < end <= len(text):
        return esc(text)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def _source_block(answer: Answer, index: int, titles: dict[str, str]) -> str:
    hit = answer.sources[index]
    chunk = hit.chunk
    start = end = None
    cited = [c for c in answer.citations if c.source == index]
    span = next((s for s in answer.answer_spans if s.source == index), None)
    if span is not None:
        start, end = span.start - chunk.start, span.end - chunk.start
    elif cited:
        start, end = cited[0].start - chunk.start, cited[0].end - chunk.start
    title = short_title(titles.get(chunk.doc_id, chunk.title or chunk.doc_id))
    where = " › ".join([f"《{title}》", *chunk.section]) if chunk.section else f"《{title}》"
    marker = "📌 " if cited else ""
    return (
        f'<div class="source"><div class="source-path">{marker}[{index + 1}] {esc(where)}</div>'
        f"<blockquote>{_highlighted(chunk.text, start, end)}</blockquote>"
        f'<div class="source-offsets">{esc(chunk.doc_id)} [{chunk.start}:{chunk.end}]</div></div>'
    )


def _support(answer: Answer) -> str:
    """The supporting sentence(s), quoted under the reply, answer spans highlighted, source named."""
    blocks = []
    for citation in answer.citations:
        inside = [s for s in answer.answer_spans if citation.start <= s.start and s.end <= citation.end]
        text, position, html = citation.text, 0, ""
        for span in sorted(inside, key=lambda s: s.start):
            start, end = span.start - citation.start, span.end - citation.start
            html += esc(text[position:start]) + f"<mark>{esc(text[start:end])}</mark>"
            position = end
        html += esc(text[position:])
        where = " ".join(
            p
            for p in (
                f"《{short_title(citation.title)}》" if citation.title else "",
                citation.section.split(" > ")[-1] if citation.section else "",
            )
            if p
        )
        blocks.append(
            f'<blockquote class="support">{html}<div class="support-source">—— {esc(where)}</div></blockquote>'
        )
    return "".join(blocks)


def answer_message(answer: Answer, titles: dict[str, str], sources_shown: int) -> str:
    """The final assistant message: reply, the quoted supporting sentence, the rewritten
    question, collapsible sources."""
    parts = []
    if answer.refused:
        parts.append(f'<div class="refusal">⚠️ {esc(answer.reply)}</div>')
    else:
        parts.append(f'<div class="answer">{esc(squeeze_spaces(answer.reply))}</div>')
        parts.append(_support(answer))
    if answer.rewritten and answer.rewritten != answer.question.strip():
        parts.append(f'<div class="rewritten">🔎 理解为：{esc(answer.rewritten)}</div>')
    shown = list(range(min(sources_shown, len(answer.sources))))
    cited = [c.source for c in answer.citations if c.source not in shown]
    blocks = "".join(_source_block(answer, i, titles) for i in [*cited, *shown])
    if blocks:
        label = "相关内容" if answer.refused else "出处"
        opened = " open" if answer.refused else ""
        parts.append(
            f'<details class="sources"{opened}><summary>{label}（{len(shown) + len(cited)} 条）</summary>'
            f"{blocks}</details>"
        )
    return "".join(parts)


def notice_message(text: str) -> str:
    return f'<div class="notice">💡 {esc(text)}</div>'
