"""From grounded spans to what the citizen reads: the answer, its citations and one sentence.

* ``answer``: the spans' own text in source order ("；" between parts that are apart).
* ``citations``: the evidence sentences that hold the spans; ``answer_spans``: the spans.
* ``reply``: one short Chinese sentence built from the source's own clause(s) around the
  answer, led by where it comes from when that helps: the article for legal text
  ("根据《劳动合同法》第六十九条，…"), the period for dated text ("2022年，…"). A table row
  is read with its column names ("起付标准：800元").
"""

from __future__ import annotations

import re

from qa.answering.evidence import Evidence
from qa.answering.grounding import Span, joined_answer, merge_spans, trim_edges
from qa.answering.tables import read_row
from qa.answering.types import Citation
from qa.ingest.structure import ARTICLE
from qa.search.hits import Hit
from qa.text import short_title, split_clauses, squeeze_spaces, years_named

MAX_REPLY_CLAUSE = 80  # characters of source clause kept around an answer in the reply


def citation(hits: list[Hit], evidence: list[Evidence], index: int, start: int, end: int) -> Citation:
    sentence = evidence[index]
    chunk = hits[sentence.hit].chunk
    text = chunk.text[start - chunk.start : end - chunk.start]
    return Citation(sentence.hit, chunk.doc_id, start, end, text, chunk.title, chunk.section_path)


def _clause_around(sentence: Evidence, span: Span) -> str:
    """The sentence's clauses that hold the span (all of the sentence when it is short; a table
    row with its column names)."""
    row = read_row(sentence)
    if row:
        return row
    text = sentence.text
    if len(text) <= MAX_REPLY_CLAUSE:
        return trim_edges(text)
    start, end = span.start - sentence.start, span.end - sentence.start
    clauses = [c for c in split_clauses(text) if c[1] > start and c[0] < end] or [(start, end)]
    return trim_edges(text[clauses[0][0] : clauses[-1][1]])


def reply_sentence(question: str, spans: list[Span], evidence: list[Evidence]) -> str:
    """One sentence that states the answer in the source's words (see the module docstring)."""
    clauses, seen = [], set()
    for span in spans:
        clause = squeeze_spaces(_clause_around(evidence[span.sentence], span))
        if clause not in seen:
            seen.add(clause)
            clauses.append(clause)
    body = "；".join(clauses)
    first = evidence[spans[0].sentence]
    article = next((s for s in reversed(first.section) if ARTICLE.match(s)), None)
    if article and first.title:
        lead = f"根据《{short_title(first.title)}》{article}，"
        body = re.sub(rf"^{re.escape(article)}[\s\u3000]*", "", body)
    elif first.period and not years_named(body) and years_named(question):
        lead = f"{first.period}，"
    else:
        lead = ""
    return f"{lead}{body}。"


def compose(question: str, spans: list[Span], hits: list[Hit], evidence: list[Evidence]):
    """(answer, reply, citations, answer_spans) for grounded spans."""
    merged = merge_spans(spans, evidence)
    answer_spans = [citation(hits, evidence, s.sentence, s.start, s.end) for s in merged]
    cited = sorted({s.sentence for s in merged}, key=lambda i: (evidence[i].doc_id, evidence[i].start))
    citations = [citation(hits, evidence, i, evidence[i].start, evidence[i].end) for i in cited]
    return joined_answer(merged), reply_sentence(question, merged, evidence), citations, answer_spans


def refusal_reply(rewritten: str) -> str:
    asked = trim_edges(rewritten)
    asked = asked if len(asked) <= 40 else asked[:40] + "……"
    return f"文件中没有找到“{asked}”的答案。下面是最相关的内容，供参考。"
