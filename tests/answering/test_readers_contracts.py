"""What both readers promise (qa/answering/generative.py, extractive.py): a draft whose spans are
exact evidence slices, the generator's own text and certainty kept for the refusal policy, streamed
text passed on, and the reading timed in milliseconds. A scripted generator stands in for the
model. Invented sentences about a fictional county (青禾县)."""

import math
import time

import pytest

from qa.answering import prompts
from qa.answering.evidence import Evidence
from qa.answering.extractive import ExtractiveReader, scored_candidates
from qa.answering.generative import GenerativeReader, ground, judges
from qa.answering.generator import Token
from qa.answering.question import asks
from qa.answering.spans import FEATURES
from qa.fitted import ExtractiveSettings

PLAN = "青禾县新建乡村书屋 18座,改造文化广场 3个,新增养老床位 260张以上。"
RULE = "书屋管理单位不得向读者收取借阅费用。"


def _evidence(*texts, period="2041年"):
    out, start = [], 100
    for n, text in enumerate(texts):
        out.append(Evidence(n, "qinghe", start, start + len(text), text, "青禾县报告", ("二、民生",), period, 1.0, 0.5))
        start += len(text) + 1
    return out


def _exact(span, evidence):
    e = evidence[span.sentence]
    return e.text[span.start - e.start : span.end - e.start] == span.text


class Scripted:
    """Replays fixed replies token by token (a None log-probability for empty pieces); records
    every call and whether the stream was closed."""

    name = "scripted"

    def __init__(self, *replies):
        self.replies, self.calls, self.closed, self.warmed, self.remembered = list(replies), [], 0, 0, []

    def warm_up(self):
        self.warmed += 1

    def remember_prefix(self, prefix):
        self.remembered.append(prefix)

    def stream(self, messages, max_tokens=64, stop=(), **options):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "stop": stop, **options})
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        try:
            for i in range(0, len(reply), 2):
                yield Token(reply[i : i + 2], -0.5)
                yield Token("", None)  # an incomplete character: no text, no log-probability
        finally:
            self.closed += 1


def test_no_evidence_means_not_found_without_asking_the_generator():
    generator = Scripted("18座")
    draft = GenerativeReader(generator).run("书屋几座？", [])
    assert draft.not_found and draft.spans == [] and draft.reader == "generative" and generator.calls == []


def test_the_generator_sees_the_reader_prompt_and_its_answer_is_grounded():
    evidence = _evidence(PLAN)
    generator = Scripted(" 260张\n")
    tokens = []
    draft = GenerativeReader(generator, max_new_tokens=9).run("养老床位新增多少张？", evidence, tokens.append)
    (call,) = generator.calls
    assert call["messages"] == prompts.reader_messages("养老床位新增多少张？", evidence)
    assert call["max_tokens"] == 9 and call["stop"]
    assert generator.closed == 1
    assert "".join(tokens) == " 260张\n" and "" not in tokens
    assert draft.reader == "generative" and draft.text == "260张" and not draft.not_found
    assert [s.text for s in draft.spans] == ["260张以上"] and all(_exact(s, evidence) for s in draft.spans)
    assert draft.logprobs == [-0.5] * 3 and draft.missing == []


def test_reading_is_timed_in_milliseconds(monkeypatch):
    evidence = _evidence(PLAN)
    real = GenerativeReader(Scripted("18座")).run("书屋几座？", evidence)
    assert set(real.timings) == {"prefill", "decode"} and all(0 <= ms < 60_000 for ms in real.timings.values())
    clock = iter(range(1000, 2000))
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock) / 4)
    timed = GenerativeReader(Scripted("18座")).run("书屋几座？", evidence)
    assert timed.timings == {"prefill": 250.0, "decode": 250.0}


def test_not_found_keeps_the_generators_words_and_certainty():
    evidence = _evidence(PLAN)
    draft = GenerativeReader(Scripted(prompts.NOT_FOUND)).run("地铁几条？", evidence)
    assert draft.not_found and draft.spans == [] and draft.text == prompts.NOT_FOUND
    assert len(draft.logprobs) == (len(prompts.NOT_FOUND) + 1) // 2


def test_ground_splits_parts_completes_figures_and_lists_what_it_cannot_find():
    evidence = _evidence(PLAN)
    draft = ground("18；260；游泳馆", [-0.1, -0.2], evidence, timings={"decode": 1.0})
    assert [s.text for s in draft.spans] == ["18座", "260张以上"] and all(_exact(s, evidence) for s in draft.spans)
    assert draft.missing == ["游泳馆"] and draft.text == "18；260；游泳馆" and not draft.not_found
    assert draft.logprobs == [-0.1, -0.2] and draft.timings == {"decode": 1.0}
    empty = ground("", [], evidence)
    assert empty.not_found and empty.text == "" and empty.timings == {}
    said = ground(f"抱歉，{prompts.NOT_FOUND}。", [-1.0], evidence, timings={"decode": 2.0})
    assert said.not_found and said.text == f"抱歉，{prompts.NOT_FOUND}。" and said.logprobs == [-1.0]
    assert said.reader == "generative" and said.timings == {"decode": 2.0}


def test_a_bare_yes_is_replaced_by_the_rule_that_settles_it():
    evidence = _evidence(RULE, period=None)
    generator = Scripted("不能", "书屋管理单位不得向读者收取借阅费用")
    draft = GenerativeReader(generator).run("书屋能收借阅费吗？", evidence)
    assert len(generator.calls) == 2 and generator.closed == 2
    assert generator.calls[1]["messages"] == prompts.cite_messages(generator.calls[0]["messages"], "不能")
    assert draft.text == "书屋管理单位不得向读者收取借阅费用" and [s.text for s in draft.spans] == [draft.text]
    assert len(draft.logprobs) == 1 + (len(draft.text) + 1) // 2  # both turns' certainty
    assert "cite" in draft.timings and draft.timings["cite"] >= 0


@pytest.mark.parametrize("said", ["不", "否", "不得", "可以"])
def test_a_bare_negation_or_permission_asks_for_the_rule(said):
    evidence = _evidence(RULE, period=None)
    generator = Scripted(said, "书屋管理单位不得向读者收取借阅费用")
    draft = GenerativeReader(generator).run("书屋能收借阅费吗？", evidence)
    assert len(generator.calls) == 2 and draft.text == "书屋管理单位不得向读者收取借阅费用"


def test_a_fragment_copied_for_a_yes_or_no_question_becomes_its_clause():
    article = "第十二条　社区食堂可以向老年人提供助餐服务，费用由街道补贴一半。"
    evidence = _evidence(article, period=None)
    fragment = ground("第十二条", [-0.5], evidence, "小区食堂能给老人送饭吗？")
    assert [s.text for s in fragment.spans] == ["社区食堂可以向老年人提供助餐服务"]
    partial = ground("补贴一半", [-0.5], evidence, "吃饭的钱街道会管吗？")
    assert [s.text for s in partial.spans] == ["费用由街道补贴一半"]
    # the same fragment answers a question of another kind as it is
    assert [s.text for s in ground("补贴一半", [-0.5], evidence, "街道补贴多少？").spans] == ["补贴一半"]


def test_a_count_question_answered_with_the_items_gets_the_count_that_follows_them():
    text = "今年新建东站、西站 2 个换乘中心，在北湖、南湖等三处修建码头，改造道路 15 公里。"
    evidence = _evidence(text)
    assert [s.text for s in ground("东站、西站", [-0.2], evidence, "今年新建几个换乘中心？").spans] == ["2 个"]
    assert [s.text for s in ground("北湖、南湖", [-0.2], evidence, "要修几处码头？").spans] == ["三处"]
    # not when the question asks for the items, the figure counts another unit, or punctuation parts them
    assert [s.text for s in ground("东站、西站", [-0.2], evidence, "换乘中心建在哪里？").spans] == ["东站、西站"]
    assert [s.text for s in ground("东站、西站", [-0.2], evidence, "新建多少公里道路？").spans] == ["东站、西站"]
    assert [s.text for s in ground("修建码头", [-0.2], evidence, "修建码头几个？").spans] == ["修建码头"]
    # nor when it asks for a span of time, or the figure after the items is a date
    patrol = _evidence("安全巡查每季度 1 次，东站、西站 2041年3月1日启用。")
    assert [s.text for s in ground("每季度", [-0.2], patrol, "安全巡查多久进行一次？").spans] == ["每季度"]
    assert [s.text for s in ground("东站、西站", [-0.2], patrol, "有几个站启用？").spans] == ["东站、西站"]


def test_the_second_turn_is_timed_in_milliseconds(monkeypatch):
    clock = iter(range(1000, 2000))
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock) / 4)  # a quarter second a reading
    evidence = _evidence(RULE, period=None)
    draft = GenerativeReader(Scripted("不能", "书屋管理单位不得向读者收取借阅费用")).run("书屋能收借阅费吗？", evidence)
    assert draft.timings["cite"] >= 250.0 and draft.timings["prefill"] == 250.0


def test_a_yes_the_generator_cannot_back_stays_as_it_was():
    evidence = _evidence(RULE, period=None)
    draft = GenerativeReader(Scripted("能", prompts.NOT_FOUND)).run("书屋能收押金吗？", evidence)
    assert draft.text == "能" and draft.spans == [] and draft.missing == ["能"]


def test_a_verdict_only_matters_for_a_yes_or_no_question():
    assert judges("书屋能收借阅费吗？", "不合理")
    assert not judges("书屋能收借阅费吗？", prompts.NOT_FOUND) and not judges("书屋能收借阅费吗？", "")
    assert not judges("书屋有几座？", "不合理")


def test_warm_up_loads_the_generator_and_remembers_the_fixed_prefix():
    generator = Scripted("")
    GenerativeReader(generator).warm_up()
    assert generator.warmed == 1 and generator.remembered == [prompts.reader_prefix()]


def test_warm_up_works_for_a_generator_that_keeps_no_prefix():
    class Plain:
        warmed = 0

        def warm_up(self):
            self.warmed += 1

    plain = Plain()
    GenerativeReader(plain).warm_up()
    assert plain.warmed == 1


def test_the_extractive_reader_picks_the_best_scored_exact_span():
    evidence = _evidence(PLAN)
    reader = ExtractiveReader(ExtractiveSettings(weights=(("kind_number", 1.0), ("unit_match", 2.0))))
    assert len(reader.weights) == len(FEATURES) and sorted(set(reader.weights)) == [0.0, 1.0, 2.0]
    draft = reader.run("养老床位新增多少张？", asks("养老床位新增多少张？"), evidence)
    assert draft.reader == "extractive" and draft.text == "260张以上" and _exact(draft.spans[0], evidence)
    assert draft.spans[0].exact and 0.0 < draft.score < 1.0
    assert "read" in draft.timings and 0 <= draft.timings["read"] < 60_000


def test_the_extractive_share_is_a_softmax_over_every_candidate():
    evidence = _evidence("书屋18座。")
    reader = ExtractiveReader(ExtractiveSettings(weights=(("kind_number", 1.0),)))
    nothing = reader.run("书屋几座？", asks("书屋几座？"), [])
    assert nothing.reader == "extractive" and nothing.spans == [] and "read" in nothing.timings
    scored = scored_candidates("书屋几座？", asks("书屋几座？"), evidence)
    scores = [reader.score(values) for _, values in scored]
    best = max(scores)
    draft = reader.run("书屋几座？", asks("书屋几座？"), evidence)
    assert draft.score == pytest.approx(1 / sum(math.exp(s - best) for s in scores))
    assert reader.score([1.0] * len(FEATURES)) == pytest.approx(1.0)


def test_scored_candidates_are_exact_spans_with_their_sentence_signals():
    evidence = _evidence("书屋18座。", "广场3个。")
    evidence[0] = Evidence(0, "qinghe", 100, 106, "书屋18座。", "青禾县报告", (), "2041年", 2.0, 0.5)
    evidence[1] = Evidence(1, "qinghe", 107, 113, "广场3个。", "青禾县报告", (), "2039年", 1.0, 0.25)
    scored = scored_candidates("2041年书屋几座？", asks("2041年书屋几座？"), evidence)
    assert scored and all(_exact(span, evidence) and span.exact for span, _ in scored)
    by_sentence = {span.sentence: dict(zip(FEATURES, values)) for span, values in scored}
    assert by_sentence[0]["sentence_score"] == 1.0 and by_sentence[1]["sentence_score"] == 0.5
    assert by_sentence[0]["sentence_rank"] == 0.0 and by_sentence[1]["sentence_rank"] == 1.0
    assert by_sentence[0]["coverage"] == 0.5 and by_sentence[1]["coverage"] == 0.25
    assert by_sentence[0]["period"] == 1.0 and by_sentence[1]["period"] == -1.0


def test_the_generator_is_held_to_copies_of_the_evidence_unless_told_otherwise():
    evidence = _evidence(PLAN, RULE)
    held = Scripted("18座")
    GenerativeReader(held).run("书屋几座？", evidence)
    copy = held.calls[0]["copy"]
    assert tuple(copy.sources) == (PLAN, RULE) and prompts.NOT_FOUND in copy.phrases
    free = Scripted("18座")
    GenerativeReader(free, copy=False).run("书屋几座？", evidence)
    assert free.calls[0].get("copy") is None


def test_a_yes_or_no_question_copies_a_rule_and_only_measures_not_found():
    evidence = _evidence(PLAN, RULE)
    verdict = Scripted("书屋管理单位不得向读者收取借阅费用")
    draft = GenerativeReader(verdict).run("在书屋借书要交钱吗？", evidence)
    copy = verdict.calls[0]["copy"]
    assert copy.phrases == () and copy.withheld == (prompts.NOT_FOUND,)
    assert draft.spans and not draft.not_found and draft.withheld
    allowed = Scripted("书屋管理单位不得向读者收取借阅费用")
    draft = GenerativeReader(allowed, withhold_yesno=False).run("在书屋借书要交钱吗？", evidence)
    assert allowed.calls[0]["copy"].phrases == (prompts.NOT_FOUND,) and not draft.withheld


def test_from_settings_passes_every_generation_setting():
    from qa.settings import GenerationSettings

    settings = GenerationSettings(max_new_tokens=9, copy_evidence=False, withhold_not_found_yesno=False)
    reader = GenerativeReader.from_settings(Scripted("x"), settings)
    assert (reader.max_new_tokens, reader.copy, reader.withhold_yesno) == (9, False, False)
