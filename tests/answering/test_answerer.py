"""The answer layer end to end on given passages (qa.answer, Answerer), with a scripted generator.

Invented documents only: a county work report and a regulation that exist nowhere else.
"""

from dataclasses import replace
from datetime import date

import pytest

from qa import answer
from qa.answering.answerer import Answerer, uncovered_years
from qa.answering.generative import GenerativeReader
from qa.answering.generator import Token
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit
from qa.search.normalize import QuestionError
from qa.settings import Settings

PLAN = "全县粮食总产量稳定在 120万吨以上,新建改建农村公路 85 公里,新增托育位置 1200个以上。"
RULE = "第十二条　物业服务企业不得以停水、停电等方式催交物业费。"


def _hits(*items):
    hits, offset = [], 100
    for n, (text, section, period) in enumerate(items):
        chunk = Chunk(f"d#{n}", "doc", n, offset, offset + len(text), text, section, period, "body", "某县文件")
        hits.append(Hit(chunk, 1.0 - n / 10))
        offset += len(text) + 2
    return hits


class ScriptedGenerator:
    """Replays fixed replies as tokens, one reply per call (the real model is tested in
    test_generator.py); records the prompts it got."""

    name = "scripted"

    def __init__(self, *replies, logprob=-0.05):
        self.replies, self.logprob, self.prompts = list(replies), logprob, []

    def warm_up(self):
        pass

    def stream(self, messages, max_tokens=64, stop=(), copy=None):
        self.prompts.append(messages)
        reply = self.replies[min(len(self.prompts), len(self.replies)) - 1]
        for i in range(0, len(reply), 2):
            yield Token(reply[i : i + 2], self.logprob)


def _answerer(skip_generator: float = 1.01):
    """The answer layer with the fitted weights; by default the generator always runs."""
    settings = Settings()
    return Answerer(settings.replace(refusal=replace(settings.refusal, skip_generator=skip_generator)))


def test_extractive_answer_is_an_exact_span_with_offsets():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    result = _answerer().run("今年修多少公里路？", "2023年新建改建农村公路多少公里？", hits)
    assert not result.refused and result.answer == "85 公里"
    (span,) = result.answer_spans
    assert hits[0].chunk.text[span.start - 100 : span.end - 100] == span.text == "85 公里"
    assert "85公里" in result.reply and result.reply.endswith("。")


def test_generated_answer_is_grounded_and_completed():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    reader = GenerativeReader(ScriptedGenerator("1200"))
    result = _answerer().run("托育位置新增多少", "2023年新增托育位置多少个？", hits, generative=reader)
    assert result.answer == "1200个以上" and result.mode == "generative" and "generator" in result.note


def test_a_confident_extractive_answer_skips_the_generator():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    generator = ScriptedGenerator("不会被用到")
    result = _answerer(skip_generator=0.0).run(
        "修多少路", "2023年新建改建农村公路多少公里？", hits, generative=GenerativeReader(generator)
    )
    assert generator.prompts == [] and "generator skipped" in result.note and result.answer == "85 公里"


def test_generator_inventing_a_figure_is_refused():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    reader = GenerativeReader(ScriptedGenerator("95公里"))
    result = _answerer().run("修多少路", "2023年新建改建农村公路多少公里？", hits, generative=reader)
    assert result.refused and result.answer is None
    assert result.reply.startswith("文件中没有找到") and result.sources == hits


def test_generator_saying_not_found_is_refused():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    reader = GenerativeReader(ScriptedGenerator("资料中没有提到"))
    result = _answerer().run("县医院床位", "2023年县医院新增多少张床位？", hits, generative=reader)
    assert result.refused and "generator found no answer" in result.note


def test_bare_yes_or_no_asks_the_generator_for_the_rule():
    hits = _hits((RULE, ("第十二条",), None))
    generator = ScriptedGenerator("不能。", "物业服务企业不得以停水、停电等方式催交物业费")
    result = _answerer().run(
        "物业能停水催费吗？", "物业公司能停水催交物业费吗？", hits, generative=GenerativeReader(generator)
    )
    assert len(generator.prompts) == 2 and generator.prompts[1][-2] == {"role": "assistant", "content": "不能。"}
    assert not result.refused and result.answer == "物业服务企业不得以停水、停电等方式催交物业费"
    assert result.reply.startswith("根据《某县文件》第十二条，")


def test_a_verdict_in_the_generators_own_words_asks_for_the_rule():
    hits = _hits((RULE, ("第十二条",), None))
    generator = ScriptedGenerator("这样做不合理。", "物业服务企业不得以停水、停电等方式催交物业费")
    result = _answerer().run(
        "物业停水逼我交钱，这合理吗？", "物业停水逼我交钱，这合理吗？", hits, generative=GenerativeReader(generator)
    )
    assert len(generator.prompts) == 2
    assert not result.refused and result.answer == "物业服务企业不得以停水、停电等方式催交物业费"


def test_a_bare_yes_or_no_that_stays_bare_becomes_the_clause_it_stands_in():
    hits = _hits((RULE, ("第十二条",), None))
    generator = ScriptedGenerator("不得", "不得")  # the second turn quotes no more than the first
    result = _answerer().run(
        "物业能停水催费吗？", "物业公司能停水催交物业费吗？", hits, generative=GenerativeReader(generator)
    )
    assert len(generator.prompts) == 2
    assert result.answer == "物业服务企业不得以停水、停电等方式催交物业费"  # the clause, no article number


def test_parts_that_only_repeat_the_question_are_dropped():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    reader = GenerativeReader(ScriptedGenerator("农村公路；85 公里"))
    result = _answerer().run("修多少路", "2023年新建改建农村公路多少公里？", hits, generative=reader)
    assert result.answer == "85 公里" and [s.text for s in result.answer_spans] == ["85 公里"]


def test_a_grounded_answer_needs_no_second_turn():
    hits = _hits((RULE, ("第十二条",), None))
    generator = ScriptedGenerator("不得以停水、停电等方式催交物业费")
    _answerer().run("物业能停水催费吗？", "物业能停水催费吗？", hits, generative=GenerativeReader(generator))
    assert len(generator.prompts) == 1


def test_a_yes_or_no_without_a_quotable_rule_is_refused():
    hits = _hits((RULE, ("第十二条",), None))
    generator = ScriptedGenerator("能", "资料中没有提到")
    result = _answerer().run("物业能停气吗？", "物业公司能停气吗？", hits, generative=GenerativeReader(generator))
    assert result.refused and len(generator.prompts) == 2


def test_a_year_no_document_mentions_is_refused_before_reading():
    assert uncovered_years("2015年粮食产量多少", frozenset({2022, 2023})) == [2015]
    assert uncovered_years("2023年粮食产量多少", frozenset({2022, 2023})) == []
    assert uncovered_years("2015年粮食产量多少", frozenset()) == []  # undated documents: never certain
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    result = _answerer().run("2015年修了多少路", "2015年修了多少路", hits, known_years=frozenset({2023}))
    assert result.refused and "2015" in result.note


def test_public_answer_function_on_plain_passages():
    result = answer("今年修多少公里路？", [PLAN, "其他内容。"], reference_date=date(2023, 1, 10))
    assert result.rewritten.startswith("2023年") and not result.refused and "85" in result.answer
    with pytest.raises(ValueError):
        answer("问题", [PLAN], mode="poetry")
    with pytest.raises(QuestionError, match="请把问题说完整"):
        answer("青禾县2023年", [PLAN])  # names a place and a year, asks nothing about them


def test_the_answer_keeps_its_sources_timings_and_confidence():
    hits = _hits((PLAN, ("二、2023年重点工作",), "2023年"))
    result = _answerer().run("今年修多少公里路？", "2023年新建改建农村公路多少公里？", hits)
    assert result.sources == hits and result.rewritten == "2023年新建改建农村公路多少公里？"
    assert {"evidence", "read"} <= set(result.timings) and 0.0 < result.confidence <= 1.0
    refused = _answerer().run("全县地铁有几条线？", "全县地铁有几条线？", [])
    assert refused.refused and refused.confidence == 0.0 and refused.sources == []


def test_settling_a_draft_on_more_sentences_keeps_the_generators_doubt():
    from qa.answering.types import Draft

    hits = _hits((PLAN, ("二、重点工作",), "2041年"), (RULE, ("第十二条",), None))
    answerer = _answerer()
    evidence = answerer.evidence.run("物业能停水吗？", hits[1:])
    missing = Draft("generative", text="新增托育位置1200个以上", missing=["新增托育位置1200个以上"], doubt=-2.0)
    missing.withheld = True
    widened, settled = answerer.settle("物业能停水吗？", hits, evidence, missing)
    assert len(widened) > len(evidence) and settled.spans and not settled.missing
    assert (settled.doubt, settled.withheld) == (-2.0, True)
