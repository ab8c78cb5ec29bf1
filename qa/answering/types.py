"""The answer object every caller gets (CLI, Python API, evaluation, UI) and its citations."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.search.hits import Hit


@dataclass(frozen=True)
class Citation:
    """A stretch of a source document: ``doc_text[start:end] == text``."""

    source: int  # index into Answer.sources
    doc: str
    start: int
    end: int
    text: str
    title: str = ""
    section: str = ""  # section path, e.g. "第三十七条"

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "doc": self.doc,
            "title": self.title,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass
class Answer:
    """A reply to one question.

    ``answer`` is the exact source text (several cited parts joined in source order) or
    None when refused; ``reply`` is what a citizen reads. ``citations`` are the supporting
    sentences, ``answer_spans`` the exact parts of them that answer. ``confidence`` is the
    refusal policy's probability that the answer is there to give.
    """

    question: str
    rewritten: str
    reply: str
    answer: str | None
    refused: bool
    mode: str
    sources: list[Hit] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    answer_spans: list[Citation] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    confidence: float | None = None
    note: str = ""  # which path answered, why it refused or fell back

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "rewritten": self.rewritten,
            "reply": self.reply,
            "answer": self.answer,
            "refused": self.refused,
            "mode": self.mode,
            "sources": [h.to_dict() for h in self.sources],
            "citations": [c.to_dict() for c in self.citations],
            "answer_spans": [c.to_dict() for c in self.answer_spans],
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "note": self.note,
        }


@dataclass
class Draft:
    """A reader's proposal, with the signals the refusal policy weighs.

    ``spans`` are exact evidence spans (:class:`qa.answering.grounding.Span`) in the order the
    reader gave them; empty when the reader found nothing it could ground.
    """

    reader: str  # "generative" or "extractive"
    spans: list = field(default_factory=list)
    text: str = ""  # what the reader said (generated text, or the chosen span)
    not_found: bool = False  # the generator said the evidence lacks the answer
    missing: list[str] = field(default_factory=list)  # generated parts no evidence states
    logprobs: list[float] = field(default_factory=list)  # of the generated tokens
    # log-probability the generator gave to answering "not found" at its first token (copy mode);
    # None when unknown (the extractive reader, a server)
    doubt: float | None = None
    # "not found" could not be written (qa.answering.generative.copy_spec): the doubt is then
    # the model's leaning with no way out, weighed apart from a doubt it overrode
    withheld: bool = False
    score: float = 0.0  # the extractive reader's span score
    timings: dict[str, float] = field(default_factory=dict)
