"""Evidence: the few sentences of the retrieved passages that bear on the question.

:class:`EvidenceSelector` splits the top hits into sentences (exact document offsets;
a sentence shared by overlapping chunks counts once), scores each by how much of the
question it and its section cover, by its passage's retrieval rank and by whether it holds
what the question asks for (a number, an enumeration), and keeps the best few. Both
readers and the refusal policy work on this short list, and it is all the generator sees.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from qa.answering.question import asks
from qa.figures import number_spans
from qa.index.lexical import tokenize
from qa.search.hits import Hit, period_adjustment
from qa.settings import EvidenceSettings
from qa.text import INTRODUCES_ITEMS, LIST_ITEM, short_title, single_years, split_sentences, squeeze_spaces, years_named

ASKING = ("？", "?")  # the marks that end a question
SECTION_SHOWN = 24  # characters of a section heading shown to the generator
ENUMERATION = re.compile(r"[^、，,。；;：:]{1,20}(?:、[^、，,。；;：:]{1,20}){2,}")


@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage."""

    hit: int  # index into the hits it came from
    doc_id: str
    start: int  # document offsets: doc_text[start:end] == text
    end: int
    text: str
    title: str
    section: tuple[str, ...]
    period: str | None
    score: float
    coverage: float  # share of the question's content words the sentence and its section hold
    kind: str = "body"  # its paragraph's, from ingest: "heading" for a heading line
    lead: str = ""  # the clauses before it that it continues after a semicolon (see leads)
    similarity: float | None = None  # cosine of its embedding and the question's; None: not measured

    @property
    def where(self) -> str:
        """Where the sentence stands, in words: title › innermost section (period)."""
        section = self.section[-1] if self.section else ""
        section = section if len(section) <= SECTION_SHOWN else section[:SECTION_SHOWN] + "…"
        place = " › ".join(p for p in (short_title(self.title), section) if p)
        return f"{place}（{self.period}）" if self.period else place


def coverage(question_tokens: list[str], text: str) -> float:
    """Share of the question's content (by characters of its tokens) found in ``text``."""
    if not question_tokens:
        return 0.0
    squeezed = squeeze_spaces(text)
    found = sum(len(t) for t in question_tokens if t in squeezed)
    return found / sum(len(t) for t in question_tokens)


def leads(text: str, spans: list[tuple[int, int]], offset: int) -> list[str]:
    """For each sentence span of ``text``, the sentences before it on the same line that it
    continues: parallel clauses after a semicolon share their first clause's subject and
    predicate ("一级医院报销比例为85%；二级为75%；三级为60%"), so "三级为60%" is about 报销比例."""
    out, lead, previous_end = [], "", None
    for start, end in spans:
        continues = (
            previous_end is not None
            and text[previous_end - offset - 1] in ";；"
            and "\n" not in text[previous_end - offset : start - offset]
        )
        lead = lead if continues else ""
        out.append(lead)
        lead += text[start - offset : end - offset]
        previous_end = end
    return out


def item_blocks(text: str, spans: list[tuple[int, int]], offset: int, max_chars: int) -> list[tuple[int, int, str]]:
    """The list items that a sentence introduces ("并具备以下条款：" then "（一）…；" "（二）…；" on
    lines of their own), each run of them as one span ``(start, end, introducing sentence)``:
    the items answer together what the sentence before them asks for, and one of them alone
    ("劳动合同期限") is a fragment. Runs of fewer than two items, or longer than ``max_chars``,
    are left as they are."""
    at = lambda start, end: text[start - offset : end - offset]
    blocks, i = [], 0
    while i < len(spans) - 1:
        lead, first = spans[i], spans[i + 1]
        if not INTRODUCES_ITEMS.search(at(*lead)) or not _item_starts(at, lead, first):
            i += 1
            continue
        last, items = i + 1, 1
        for k in range(i + 2, len(spans)):
            if _item_starts(at, spans[k - 1], spans[k]):
                items += 1
            elif "\n" in at(spans[k - 1][1], spans[k][0]):
                break  # a line that is no item ends the list
            last = k
        start, end = first[0], spans[last][1]
        if items >= 2 and end - start <= max_chars:
            blocks.append((start, end, at(*lead)))
        i = last + 1
    return blocks


def _item_starts(at, previous: tuple[int, int], span: tuple[int, int]) -> bool:
    """Whether ``span`` opens a list item: on a new line, after an item mark."""
    return "\n" in at(previous[1], span[0]) and bool(LIST_ITEM.match(at(*span)))


def about_period(years: frozenset[int], sentence: Evidence, rival: float) -> bool:
    """Whether ``sentence`` may speak of ``years`` once other sentences are about exactly them
    (``rival``: the best score among those, less their bonus for the period): its period is those
    years, or it has none; a period that overlaps them (a five-year review for one of its years,
    one year for the five) stays only when the sentence names one of the years asked as a year of
    its own or bears on the question at least as much as any sentence about them. A five-year
    review's "年均增长7.2%" is not the figure of one of its years when that year's own "增长13.4%"
    is there; its "2021年新增…" may be, and so may its "占农业产值43%" when nothing about the
    year itself comes close."""
    adjustment = period_adjustment(years, sentence.period, 1.0)
    if adjustment != 0:
        return adjustment > 0
    if not years_named(sentence.period) or years & single_years(sentence.text):
        return True
    return sentence.score >= rival


class EvidenceSelector:
    """Component: ``run(question, hits, query_vector=None) -> list[Evidence]``, best first.

    With an encoder and the question's vector, sentences are also scored by their embedding's
    similarity to the question (paraphrases share meaning, not words), which each keeps as
    ``Evidence.similarity`` (None without them) for the refusal policy.
    """

    def __init__(self, settings: EvidenceSettings, encoder=None) -> None:
        self.settings = settings
        self.encoder = encoder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # sentence → vector, least recent first
        self._lock = threading.Lock()

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Passage vectors of ``texts``; the last ``settings.vector_cache`` sentences' vectors are
        kept, since questions about one corpus keep meeting the same sentences."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        fresh = dict(zip(missing, self.encoder.encode_passages(missing))) if missing else {}
        with self._lock:
            out = np.array([fresh[t] if t in fresh else self._vectors[t] for t in texts])
            for text, vector in fresh.items():
                self._vectors[text] = vector
            for text in texts:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.settings.vector_cache:
                self._vectors.popitem(last=False)
        return out

    def sentences(self, hits: list[Hit]) -> list[Evidence]:
        """Every sentence of the first ``settings.hits`` hits, once, unscored; questions left out."""
        seen: set[tuple[str, int]] = set()
        out = []
        for index, hit in enumerate(hits[: self.settings.hits]):
            chunk = hit.chunk
            spans = split_sentences(chunk.text, chunk.start)
            units = list(zip(spans, leads(chunk.text, spans, chunk.start)))
            for start, end, lead in item_blocks(chunk.text, spans, chunk.start, self.settings.max_chars):
                units = [u for u in units if not start <= u[0][0] < end] + [((start, end), lead)]
            for (start, end), lead in sorted(units):
                text = chunk.text[start - chunk.start : end - chunk.start]
                if (chunk.doc_id, start) in seen or text.endswith(ASKING):
                    continue  # a question (an FAQ's, a rhetorical one) states nothing
                seen.add((chunk.doc_id, start))
                out.append(
                    Evidence(
                        index,
                        chunk.doc_id,
                        start,
                        end,
                        text,
                        chunk.title,
                        chunk.section,
                        chunk.period,
                        0.0,
                        0.0,
                        chunk.kind,
                        lead,
                    )
                )
        return out

    def run(self, question: str, hits: list[Hit], query_vector=None) -> list[Evidence]:
        s = self.settings
        tokens = tokenize(question)
        kind = asks(question).kind
        wants_number, wants_list = kind == "number", kind == "list"
        years = years_named(question)
        top = max((h.score for h in hits[: s.hits]), default=0.0) or 1.0
        sentences = self.sentences(hits)
        similarity: list[float | None] = [None] * len(sentences)
        if self.encoder is not None and query_vector is not None and sentences:
            vectors = self.vectors([squeeze_spaces(e.text) for e in sentences])
            similarity = (vectors @ query_vector).tolist()
        scored = []
        for sentence, dense in zip(sentences, similarity):
            own = coverage(tokens, sentence.text)
            context = coverage(tokens, " ".join(sentence.section) + sentence.lead + sentence.text)
            score = (
                s.own_weight * own
                + s.context_weight * context
                + s.dense_weight * (dense or 0.0)
                + s.rank_weight * max(hits[sentence.hit].score, 0.0) / top
            )
            score += period_adjustment(years, sentence.period, s.period_weight)
            if wants_number:
                score += s.type_weight if number_spans(sentence.text) else -s.type_weight
            elif wants_list and ENUMERATION.search(sentence.text):
                score += s.type_weight
            scored.append(
                Evidence(**{**sentence.__dict__, "score": score, "coverage": max(own, context), "similarity": dense})
            )
        exact = [e.score for e in scored if period_adjustment(years, e.period, 1.0) > 0]
        if exact:
            # some sentences are about the period asked: those about other periods only mislead
            scored = [e for e in scored if about_period(years, e, max(exact) - s.period_weight)]
        scored.sort(key=lambda e: -e.score)
        # the best sentence of each of the first few passages first, then the best of the rest
        leaders = [next((e for e in scored if e.hit == h), None) for h in range(s.per_hit_leaders)]
        leaders = [e for e in leaders if e is not None]
        ordered = sorted(leaders, key=lambda e: -e.score) + [e for e in scored if e not in leaders]
        chosen, chars = [], 0
        for sentence in ordered:
            if len(chosen) >= s.max_sentences or (chosen and chars + len(sentence.text) > s.max_chars):
                break
            chosen.append(sentence)
            chars += len(sentence.text)
        return sorted(chosen, key=lambda e: -e.score)
