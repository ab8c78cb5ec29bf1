"""Follow-up decisions and rule rewrites (qa/search/followup.py), both directions, invented dialogues."""

import pytest

from qa.search.followup import FollowupRewriter, depends_on_history, rewrite_by_rules


@pytest.mark.parametrize(
    "question",
    [
        "那养老院呢？",
        "去年呢？",
        "它由谁审批？",
        "这个要多久？",
        "要交多少钱？",
        "谁来管？",
        "还有农村的呢",
        "那前年一共办了几场？",
        "明年的任务是什么？",
    ],
)
def test_dependent_questions(question):
    assert depends_on_history(question)


@pytest.mark.parametrize(
    "question",
    [
        "那今年全县要新建多少所学校？",
        "还有，县医院今年要新增多少张床位？",
        "另外，农村公路今年修多少公里？",
        "今年新建多少座公园？",
    ],
)
def test_complete_questions_stay_as_they_are(question):
    assert not depends_on_history(question)


def test_rule_rewrites_swap_topic_or_time():
    previous = "今年全县新建多少所幼儿园？"
    assert (
        rewrite_by_rules("那养老院呢？", previous) == "今年全县新建多少养老院？"
    )  # the old measure word (所) went with the old topic
    assert rewrite_by_rules("去年呢？", previous) == "去年全县新建多少所幼儿园？"
    assert "幼儿园" in rewrite_by_rules("它由谁审批？", previous)


@pytest.mark.parametrize(
    "previous,question,expected",
    [
        ("今年全区改造多少条农村公路？", "那城市绿道呢？", "今年全区改造多少城市绿道？"),
        ("明年全镇新建几座公共厕所？", "那菜市场呢？", "明年全镇新建多少菜市场？"),
        # the unit asked after the old topic goes too
        ("今年肉牛存栏要稳定在多少头？", "那鲜奶产量呢？", "今年鲜奶产量要稳定在多少？"),
    ],
)
def test_topic_swap_replaces_the_whole_noun_phrase_and_its_measure_word(previous, question, expected):
    assert rewrite_by_rules(question, previous) == expected


def test_rewriter_without_generator_uses_rules_only_when_needed():
    rewriter = FollowupRewriter()
    history = [{"question": "今年全县新建多少所幼儿园？"}]
    assert rewriter.run("那今年全县要新建多少所学校？", history).how == "as is"
    assert rewriter.run("那养老院呢？", []).how == "as is"  # no history: nothing to resolve
    rewrite = rewriter.run("那养老院呢？", history)
    assert rewrite.how == "rules" and "养老院" in rewrite.question


class ScriptedGenerator:
    def __init__(self, reply):
        self.reply = reply
        self.calls = 0

    def warm_up(self):
        pass

    def stream(self, messages, max_tokens=48, stop=(), copy=None):
        from qa.answering.generator import Token

        self.calls += 1
        yield Token(self.reply, -0.1)


def test_generator_rewrite_is_used_when_it_keeps_the_new_words():
    history = [{"question": "申请住房补贴要交哪些材料？"}]
    good = ScriptedGenerator("申请住房补贴要多久才能批下来？")
    assert FollowupRewriter(good).run("这个要多久才能批下来？", history).question == "申请住房补贴要多久才能批下来？"
    bad = ScriptedGenerator("申请住房补贴要交哪些材料？")  # lost the new question's words
    rewrite = FollowupRewriter(bad).run("这个要多久才能批下来？", history)
    assert rewrite.how == "rules" and "多久" in rewrite.question
    complete = ScriptedGenerator("不该被调用")
    FollowupRewriter(complete).run("那今年全县要新建多少所学校？", history)
    assert complete.calls == 0


def test_a_history_of_plain_questions_is_resolved_turn_by_turn():
    history = [{"question": "东山县今年新建多少座乡村图书馆？"}, {"question": "那社区食堂呢？"}]
    rewrite = FollowupRewriter().run("去年呢？", history)
    assert "去年" in rewrite.question and "社区食堂" in rewrite.question and "东山县" in rewrite.question
    recorded = [*history[:1], {"question": "那社区食堂呢？", "rewritten": "东山县今年建成多少家社区食堂？"}]
    assert FollowupRewriter().run("去年呢？", recorded).question == "东山县去年建成多少家社区食堂？"
