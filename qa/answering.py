"""Grounded answers from retrieved passages: one :class:`Answer` type for every caller.

Modes:
* ``extractive``: :func:`qa.reader.read` picks the supporting clause and span.
* ``generative``: the local generator answers from a short context (best chunks
  with their period and section); its words are aligned back to a source span,
  every number it states must occur in that source, and the cited passage must be
  about the period the question names. A reply that fails is replaced by the
  extractive answer when that one is confident, else refused.

Refusal ("报告中没有找到……") happens when the reading covers too little of the
question, names the wrong period or unit, or the generator says it is not there.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from qa.chunking import squeeze_spaces
from qa.grounding import locate, longest_common_span, trim_edges, ungrounded_numbers
from qa.reader import Reading, answer_kind, read
from qa.retrieval import Hit, years_named
from qa.spans import NUMBER, UNIT_Q, list_span, pick_respective

MIN_COVERAGE = 0.18  # calibrated on data/qa/qiqihar_qa.jsonl: below it the clause rarely answers
WEAK_VERDICT = "low coverage"  # a hint, not proof: paraphrased questions share few words with the text
ROLE = re.compile(r"[^\W的之是为个位]{0,2}(?:书记|市长|县长|区长|省长|主任|部长|局长|主席|院长|校长|总理|"
                  r"运动员|教练|负责人|发言人)")
NOT_FOUND_MARKERS = ("没有提到", "未提及", "没有提及", "无法回答", "没有相关", "未提到", "没有找到", "不知道")
SYSTEM_PROMPT = (
    "你是政府工作报告问答助手。只根据用户给出的资料回答问题。"
    "回答要简短：只写答案本身（数字连同单位、名称或原文中的短语），不要重复问题，不要解释。"
    "如果资料里没有答案，只回答：资料中没有提到。"
)


@dataclass(frozen=True)
class Citation:
    source: int  # index into Answer.sources
    doc: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"source": self.source, "doc": self.doc, "start": self.start, "end": self.end, "text": self.text}


@dataclass
class Answer:
    question: str
    rewritten: str
    reply: str
    answer: str | None
    refused: bool
    mode: str
    sources: list[Hit] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    note: str = ""  # why it refused or fell back, for debugging
    answer_span: Citation | None = None  # where ``answer`` itself stands (for highlighting)

    def to_dict(self) -> dict:
        return {"question": self.question, "rewritten": self.rewritten, "reply": self.reply,
                "answer": self.answer, "refused": self.refused, "mode": self.mode,
                "sources": [h.to_dict() for h in self.sources],
                "citations": [c.to_dict() for c in self.citations], "timings_ms": self.timings,
                "note": self.note, "answer_span": self.answer_span.to_dict() if self.answer_span else None}


def refusal_reply(rewritten: str) -> str:
    asked = trim_edges(rewritten)
    asked = asked if len(asked) <= 40 else asked[:40] + "……"
    return f"报告中没有找到“{asked}”的答案。下面是最相关的内容，供参考。"


def period_conflict(question: str, period: str | None) -> bool:
    """The question names one year the cited passage is not specifically about (到2026年 fits 2022—2026)."""
    asked = years_named(question)
    about = years_named(period)
    if not asked or not about or asked == about:
        return False
    if not asked & about:
        return True
    by_year = re.search(r"到((?:19|20)\d{2})年", question)
    if by_year and int(by_year[1]) == max(about):
        return False
    return len(asked) == 1 and len(about) > 1


def judge_reading(question: str, reading: Reading | None, hits: list[Hit]) -> str:
    """Why this reading must not be given as an answer ("" when it may)."""
    if reading is None:
        return "no passage"
    if reading.coverage < MIN_COVERAGE:
        return f"low coverage {reading.coverage:.2f}"
    if period_conflict(question, hits[reading.hit_index].chunk.period):
        return f"period mismatch ({hits[reading.hit_index].chunk.period})"
    unit = UNIT_Q.search(question)
    if unit and reading.span_kind == "number" and unit[1] not in reading.answer:
        return f"unit mismatch (asked {unit[1]})"
    roles = [m.group() for m in ROLE.finditer(question)]  # "市委书记", not just "书记"
    if roles and not any(r in hit.chunk.text for r in roles for hit in hits):
        return f"no passage names the {roles[0]}"
    if reading.kind == "list" and reading.span_kind != "list":
        return "no enumeration found"
    if reading.kind == "number" and reading.span_kind != "number":
        return "no number found"
    return ""


def _citation(hits: list[Hit], index: int, start: int, end: int) -> Citation:
    hit = hits[index]
    text = hit.chunk.text[start - hit.chunk.start:end - hit.chunk.start]
    return Citation(index, hit.chunk.doc_id, start, end, text)


def extractive_answer(question: str, rewritten: str, hits: list[Hit]) -> Answer:
    started = time.perf_counter()
    reading = read(rewritten, hits)
    verdict = judge_reading(rewritten, reading, hits)
    elapsed = {"read": (time.perf_counter() - started) * 1000}
    if verdict:
        return Answer(question, rewritten, refusal_reply(rewritten), None, True, "extractive", hits,
                      timings=elapsed, note=verdict)
    clause, shown = squeeze_spaces(trim_edges(reading.clause)), squeeze_spaces(reading.answer)
    reply = f"{shown}。" if shown == clause else f"{shown}（原文：“{clause}”）"
    citations = [_citation(hits, reading.hit_index, reading.clause_start, reading.clause_end)]
    return Answer(question, rewritten, reply, reading.answer, False, "extractive", hits, citations, elapsed,
                  answer_span=_citation(hits, reading.hit_index, reading.start, reading.end))


def build_messages(rewritten: str, hits: list[Hit], max_passages: int = 3) -> list[dict]:
    """Chat messages: the system prompt, then numbered passages with period and section."""
    lines = []
    for n, hit in enumerate(hits[:max_passages], start=1):
        chunk = hit.chunk
        where = " ".join(p for p in (chunk.period, chunk.section[-1] if chunk.section else "") if p)
        lines.append(f"[{n}]（{where}）{chunk.text}" if where else f"[{n}] {chunk.text}")
    user = "资料：\n" + "\n".join(lines) + f"\n\n问题：{rewritten}\n答案："
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def align_generated(text: str, rewritten: str, hits: list[Hit], max_passages: int = 3):
    """(hit index, start, end) of the source span the generated answer states, or None."""
    candidate = trim_edges(text.splitlines()[0] if text.strip() else "")
    if not candidate:
        return None
    for index, hit in enumerate(hits[:max_passages]):
        span = locate(candidate, hit.chunk.text)
        if span:
            return index, hit.chunk.start + span[0], hit.chunk.start + span[1]
    best = None
    for index, hit in enumerate(hits[:max_passages]):
        length, s, e = longest_common_span(candidate, hit.chunk.text)
        if length >= 2 and (best is None or length > best[0]):
            best = (length, index, hit.chunk.start + s, hit.chunk.start + e)
    if best and best[0] >= max(2, 0.6 * len(re.sub(r"\s+", "", candidate))):
        return best[1], best[2], best[3]
    return None


def _complete_span(hit: Hit, start: int, end: int, kind: str, question: str) -> tuple[int, int]:
    """Widen a bare number to the unit and qualifier the source gives it ("365" → "365户",
    "8%" → "8%以上"); cut a list answer to its enumeration ("一重、齐车、北钢等老企业…" → "一重、齐车、北钢")."""
    text, offset = hit.chunk.text, hit.chunk.start
    number = NUMBER.match(text, start - offset)
    if number and number.end() >= end - offset and re.match(r"\d", text[start - offset:end - offset]):
        sentence_start = max(text.rfind(c, 0, start - offset) for c in "。;；，,") + 1
        clause_numbers = [m for m in NUMBER.finditer(text, sentence_start) if m.group().strip()]
        chosen = pick_respective(question, text[sentence_start:], number, clause_numbers, sentence_start)
        start, end = offset + chosen.start(), offset + len(text[:chosen.end()].rstrip())
    if kind == "list":
        span = list_span(text[start - offset:end - offset], question)
        if span:
            start, end = start + span[0], start + span[1]
    return start, end


def generative_answer(question: str, rewritten: str, hits: list[Hit], generator,
                      on_token=None, max_tokens: int = 64, context_passages: int = 3) -> Answer:
    """Generate, then ground; falls back to the extractive answer (or refuses) when grounding fails.

    Refusal needs proof or agreement: a structural mismatch (wrong period or unit, no number
    or enumeration where one is asked for) refuses without generating; otherwise the answer
    is refused only when the generator says "not there" *and* the passages cover the
    question poorly. Either signal alone is often wrong on paraphrased questions.
    """
    fallback = extractive_answer(question, rewritten, hits)
    if not hits or (fallback.refused and not fallback.note.startswith(WEAK_VERDICT)):
        fallback.mode = "generative"
        return fallback
    started, first = time.perf_counter(), None
    pieces = []
    for piece in generator.stream(build_messages(rewritten, hits, context_passages), max_tokens=max_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
        if on_token:
            on_token(piece)
    text = "".join(pieces).strip()
    ended = time.perf_counter()
    first = first or ended
    timings = {**fallback.timings, "generate": (ended - started) * 1000,
               "prefill": (first - started) * 1000, "decode": (ended - first) * 1000}

    def fall_back(note: str) -> Answer:
        fallback.timings, fallback.mode = timings, "generative"
        fallback.note = f"generator answer not used: {note}" + (f"; {fallback.note}" if fallback.note else "")
        return fallback

    if not text or any(marker in text for marker in NOT_FOUND_MARKERS):
        if fallback.refused:
            return fall_back("the generator found nothing either")
        return fall_back("the generator found nothing, the reader did")
    aligned = align_generated(text, rewritten, hits, context_passages)
    if aligned is None:
        return fall_back(f"no source span for {text!r}")
    index, start, end = aligned
    hit = hits[index]
    invented = ungrounded_numbers(text, hit.chunk.text, rewritten)
    if invented:
        return fall_back(f"numbers not in the source: {invented}")
    if period_conflict(rewritten, hit.chunk.period):
        return Answer(question, rewritten, refusal_reply(rewritten), None, True, "generative", hits,
                      timings=timings, note=f"period mismatch ({hit.chunk.period})")
    start, end = _complete_span(hit, start, end, answer_kind(rewritten), rewritten)
    span_text = hit.chunk.text[start - hit.chunk.start:end - hit.chunk.start]
    clause = fallback.citations[0] if fallback.citations and fallback.citations[0].source == index else None
    support = clause if clause and clause.start <= start and end <= clause.end else _citation(hits, index, start, end)
    stated = trim_edges(text)
    squeezed_span = squeeze_spaces(span_text)
    reply = (squeezed_span if re.sub(r"\s+", "", stated) in squeezed_span else stated) + "。"
    return Answer(question, rewritten, reply, span_text, False, "generative", hits, [support], timings,
                  answer_span=_citation(hits, index, start, end))

