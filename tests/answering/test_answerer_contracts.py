"""What every Answer from the answer layer promises, whichever reader answered (qa/answering/
answerer.py, extractive.py, generative.py): the answer is the cited spans' own text, each span
lies in a cited sentence and in its passage at its offsets, a refusal carries no answer but the
question and its sources, and every stage is timed in milliseconds.

Invented documents: a fictional county's plan and a fictional regulation. The generator is a
scripted stand-in (the real one is tested under the "generator" mark).
"""

import time
from dataclasses import replace

import pytest

from qa.answering.answerer import Answerer, refused
from qa.answering.generative import GenerativeReader
from qa.answering.generator import Token
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit
from qa.settings import Settings

PLAN = "青禾县全年新建乡村书屋 18座,改造文化广场 3个,新增养老床位 260张以上。"
RULE = "第九条　书屋管理单位不得向读者收取借阅费用。"
OTHER = "青禾县文旅局负责全县书屋的日常管理。"


def _hits(*texts, period="2041年"):
    hits, offset = [], 500
    for n, text in enumerate(texts):
        section = ("第九条",) if text.startswith("第九条") else ("二、2041年重点工作",)
        chunk = Chunk(
            f"qinghe#{n}", "qinghe", n, offset, offset + len(text), text, section, period, "body", "青禾县文件"
        )
        hits.append(Hit(chunk, 1.0 - n / 10))
        offset += len(text) + 3
    return hits


class Scripted:
    """Replays fixed replies as two-character tokens; records what it was asked."""

    name = "scripted"

    def __init__(self, *replies, logprob=-0.05):
        self.replies, self.logprob, self.calls = list(replies), logprob, []

    def warm_up(self):
        pass

    def stream(self, messages, max_tokens=64, stop=(), **options):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "stop": stop})
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        for i in range(0, len(reply), 2):
            yield Token(reply[i : i + 2], self.logprob)


def _check_grounded(result, hits):
    """The promises of a given answer."""
    assert not result.refused and result.answer
    assert result.answer == "；".join(span.text for span in result.answer_spans)
    for span in result.answer_spans:
        chunk = hits[span.source].chunk
        assert chunk.text[span.start - chunk.start : span.end - chunk.start] == span.text
        assert any(c.doc == span.doc and c.start <= span.start and span.end <= c.end for c in result.citations)
    for citation in result.citations:
        chunk = hits[citation.source].chunk
        assert chunk.text[citation.start - chunk.start : citation.end - chunk.start] == citation.text
        assert citation.title == chunk.title and citation.doc == chunk.doc_id
    assert result.sources == hits
    assert 0.0 < result.confidence <= 1.0 and result.reply.endswith("。")


def _answerer(skip_generator=1.01):
    """The answer layer with the fitted weights; by default the generator always runs."""
    settings = Settings()
    return Answerer(settings.replace(refusal=replace(settings.refusal, skip_generator=skip_generator)))


def test_an_extractive_answer_is_its_spans_and_keeps_question_and_rewrite():
    hits = _hits(PLAN, OTHER)
    result = _answerer().run("今年建几座书屋？", "2041年青禾县新建多少座乡村书屋？", hits)
    _check_grounded(result, hits)
    assert result.answer == "18座" and result.mode == "extractive" and result.note == "extractive reader"
    assert result.refused is False and result.reply.startswith("2041年，")  # the period the question names
    assert result.question == "今年建几座书屋？" and result.rewritten == "2041年青禾县新建多少座乡村书屋？"


def test_a_generated_answer_is_grounded_in_the_same_way():
    hits = _hits(PLAN, OTHER)
    generator = Scripted("260张")
    result = _answerer().run(
        "养老床位加多少", "2041年青禾县新增多少张养老床位？", hits, generative=GenerativeReader(generator)
    )
    _check_grounded(result, hits)
    assert result.answer == "260张以上" and result.mode == "generative" and result.note == "generator"
    assert len(generator.calls) == 1


def test_streamed_tokens_and_the_early_draft_reach_the_caller():
    hits = _hits(PLAN)
    tokens, drafts = [], []
    result = _answerer().run(
        "书屋建几座",
        "2041年青禾县新建多少座乡村书屋？",
        hits,
        generative=GenerativeReader(Scripted("18座")),
        on_token=tokens.append,
        on_draft=drafts.append,
    )
    assert "".join(tokens) == "18座" and result.answer == "18座"
    assert drafts == [PLAN]  # the extractive reader's sentence, shown while the generator works


def test_a_refusal_carries_the_question_and_sources_but_no_answer():
    hits = _hits(PLAN)
    generator = Scripted("资料中没有提到")
    result = _answerer().run("地铁几条线？", "2041年青禾县地铁有几条线？", hits, generative=GenerativeReader(generator))
    assert result.refused and result.answer is None and result.answer_spans == [] and result.citations == []
    assert result.question == "地铁几条线？" and result.rewritten == "2041年青禾县地铁有几条线？"
    assert result.sources == hits and result.mode == "generative"
    assert result.reply.startswith("文件中没有找到") and result.note.startswith("generator: refused")
    assert 0.0 <= result.confidence < 1.0


def test_a_year_the_documents_never_mention_is_refused_before_reading():
    hits = _hits(PLAN)
    generator = Scripted("18座")
    result = _answerer().run(
        "2035年建了几座？",
        "2035年青禾县新建多少座乡村书屋？",
        hits,
        generative=GenerativeReader(generator),
        known_years=frozenset({2040, 2041}),
    )
    assert result.refused and result.question == "2035年建了几座？" and result.confidence == 0.0
    assert result.mode == "generative"
    assert result.sources == hits and generator.calls == [] and "2035" in result.note
    assert result.timings == {}


def test_the_refused_helper_builds_the_polite_reply():
    answer = refused("书屋归谁管？", "青禾县书屋归谁管？", "extractive", [], "nothing retrieved", 0.25)
    assert answer.refused and answer.answer is None and answer.reply.startswith("文件中没有找到“青禾县书屋归谁管")
    assert (answer.question, answer.rewritten, answer.mode, answer.note) == (
        "书屋归谁管？",
        "青禾县书屋归谁管？",
        "extractive",
        "nothing retrieved",
    )
    assert answer.confidence == 0.25 and answer.timings == {} and answer.sources == []


class FakeClock:
    """perf_counter that advances a quarter of a second on every reading."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        self.now += 0.25
        return self.now


def test_stages_are_timed_in_milliseconds(monkeypatch):
    hits = _hits(PLAN)
    real = _answerer().run("书屋几座", "2041年青禾县新建多少座乡村书屋？", hits)
    assert {"evidence", "read"} <= set(real.timings)
    assert all(0.0 <= ms < 60_000 for ms in real.timings.values()), real.timings
    monkeypatch.setattr(time, "perf_counter", FakeClock())
    timed = _answerer().run("书屋几座", "2041年青禾县新建多少座乡村书屋？", hits)
    assert timed.timings["evidence"] == pytest.approx(250.0)
    assert timed.timings["read"] == pytest.approx(250.0)
    empty = _answerer().run("书屋几座", "青禾县新建多少座乡村书屋？", [])
    assert empty.refused and set(empty.timings) >= {"evidence", "read"}
    assert empty.timings["read"] == pytest.approx(250.0)


def test_a_law_answer_cites_its_article():
    hits = _hits(RULE, period=None)
    result = _answerer().run("借书要钱吗？", "青禾县书屋借书要交借阅费吗？", hits, generative=GenerativeReader(
        Scripted("书屋管理单位不得向读者收取借阅费用")
    ))  # fmt: skip
    _check_grounded(result, hits)
    assert result.answer == "书屋管理单位不得向读者收取借阅费用"
    assert result.reply.startswith("根据《青禾县文件》第九条，")


def test_a_confidence_exactly_at_the_skip_level_skips_the_generator():
    hits = _hits(PLAN)
    rewritten = "2041年青禾县新建多少座乡村书屋？"
    confidence = _answerer().run("书屋几座", rewritten, hits).confidence
    generator = Scripted("18座")
    result = _answerer(skip_generator=confidence).run(
        "书屋几座", rewritten, hits, generative=GenerativeReader(generator)
    )
    assert generator.calls == [] and "generator skipped" in result.note and result.answer == "18座"


def test_a_generated_part_outside_the_evidence_is_looked_for_in_the_passages():
    settings = Settings()
    narrow = Answerer(settings.replace(
        evidence=replace(settings.evidence, max_sentences=1), refusal=replace(settings.refusal, skip_generator=1.01)
    ))  # fmt: skip
    hits = _hits(PLAN, OTHER)
    rewritten = "青禾县新建乡村书屋归谁管？"
    assert [e.text for e in narrow.evidence.run(rewritten, hits)] == [PLAN]  # the answer is not in it
    result = narrow.run("书屋谁管", rewritten, hits, generative=GenerativeReader(Scripted("县文旅局")))
    assert not result.refused and result.answer == "县文旅局"
    assert [c.text for c in result.citations] == [OTHER]


class CountingEncoder:
    """Sentence vectors for evidence selection; counts the calls."""

    def __init__(self):
        self.calls = 0

    def encode_passages(self, texts):
        self.calls += 1
        import numpy as np

        return np.ones((len(texts), 2)) / 2**0.5


def test_only_the_generative_mode_weighs_sentence_embeddings():
    import numpy as np

    encoder = CountingEncoder()
    answerer = Answerer(Settings().replace(refusal=replace(Settings().refusal, skip_generator=1.01)), encoder)
    vector = np.array([1.0, 0.0])
    answerer.run("书屋几座", "2041年青禾县新建多少座乡村书屋？", _hits(PLAN), query_vector=vector)
    assert encoder.calls == 0
    answerer.run(
        "书屋几座",
        "2041年青禾县新建多少座乡村书屋？",
        _hits(PLAN),
        query_vector=vector,
        generative=GenerativeReader(Scripted("18座")),
    )
    assert encoder.calls == 1
