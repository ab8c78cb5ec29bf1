"""Follow-up handling (qa/search/followup.py), contract by contract: which questions lean on the one
before, how the rules rebuild them, how the generator is asked, and how a history is read.
Invented dialogues about a fictional county (青禾县)."""

import pytest

from qa.answering.generator import Token
from qa.answering.prompts import rewrite_messages
from qa.search.followup import (
    FollowupRewriter,
    about,
    depends_on_history,
    last_noun_phrase,
    nouns,
    previous_question,
    rewrite_by_rules,
    topic_words,
    usable_rewrite,
)

PREVIOUS = "青禾县今年新建几座书屋？"


@pytest.mark.parametrize(
    "question",
    [
        "青禾县今年新建多少座书屋呢？",
        "青禾县今年建了几座书屋呢？",
        "青禾县书屋叫什么名字呢？",
        "青禾县哪个乡镇书屋最多呢？",
        "青禾县书屋由谁管理呢？",
        "青禾县书屋怎么申请呢？",
        "青禾县书屋如何借书呢？",
    ],
)
def test_a_complete_question_ending_in_ne_is_not_a_topic_swap(question):
    assert not depends_on_history(question)


@pytest.mark.parametrize("question", ["李明管什么？", "东河有什么？", "图书馆在哪里？"])
def test_a_short_question_with_a_name_or_a_longer_noun_of_its_own_stands_alone(question):
    assert not depends_on_history(question)


def test_a_short_question_whose_only_topic_is_a_common_noun_leans_on_the_last_one():
    assert depends_on_history("明年的任务到底应该是什么？")  # twelve characters before the question mark
    assert depends_on_history("政府管什么？")


def test_topic_words_leave_out_openers_question_words_and_time():
    assert topic_words("那么青禾县书屋呢？") == ["青禾", "县", "书屋"]
    assert topic_words("去年书屋呢") == ["书屋"]


def test_nouns_and_the_last_noun_phrase_are_offsets_into_the_text():
    assert nouns("图书馆和体育场和游泳馆") == [(0, "图书馆"), (4, "体育场"), (8, "游泳馆")]
    assert last_noun_phrase("图书馆和体育场和游泳馆") == (8, 11)
    text = "青禾县新建多少座乡村图书馆"
    start, end = last_noun_phrase(text)
    assert text[start:end] == "乡村图书馆"  # adjacent nouns form one phrase
    start, end = last_noun_phrase("青禾县新建乡村书屋")
    assert (start, end) == (0, 9)  # a phrase may end in a two-character noun
    assert last_noun_phrase("多少") is None


def test_a_swapped_topic_replaces_the_most_alike_term():
    assert rewrite_by_rules("那游泳馆呢？", "青禾县的游乐场和文化馆各建几座？") == "青禾县的游乐场和游泳馆各建几座？"
    assert rewrite_by_rules("那图书角呢？", "青禾县今年新建几座乡村书屋？") == "青禾县今年新建几座乡村图书角？"
    # only a noun gives way to the topic: 开设 shares 设 with 设施 but is a verb
    swapped = rewrite_by_rules("那日间照料设施呢？", "青禾县今年要开设几所老年大学？")
    assert swapped == "青禾县今年要开设多少日间照料设施？"


def test_a_swapped_time_replaces_the_first_time_named():
    assert rewrite_by_rules("那2041年上半年呢？", PREVIOUS) == "青禾县2041年上半年新建几座书屋？"
    assert rewrite_by_rules("那2041年上半年呢？", "2040年青禾县新建几座书屋？") == "2041年上半年青禾县新建几座书屋？"
    assert rewrite_by_rules("明年呢？", "2040年和2041年各新建几座书屋？") == "明年和2041年各新建几座书屋？"
    assert rewrite_by_rules("去年呢？", "青禾县新建几座书屋？") == "去年青禾县新建几座书屋？"  # none to replace


def test_a_question_that_is_not_a_swap_gets_what_the_previous_one_was_about():
    # what the previous question asked (几座) stays out: the reader would answer it too
    assert rewrite_by_rules("那么它由谁管理？", PREVIOUS) == "青禾县今年新建书屋，它由谁管理？"
    assert rewrite_by_rules("建在哪儿？", "东山县这几年要修多少公里绿道？") == "东山县这几年要修绿道，建在哪儿？"
    # a time of its own replaces the previous question's
    previous = "过去五年东山县修了多少公里绿道？"
    assert rewrite_by_rules("今年还打算修几条？", previous) == "东山县修了绿道，今年还打算修几条？"
    assert rewrite_by_rules("明年还建吗？", "2041年东山县建了几座书屋？") == "东山县建了书屋，明年还建吗？"
    # a previous question as the UI records it, its period resolved in brackets
    recorded = "过去五年(2036—2040年)东山县修了多少公里绿道?"
    assert rewrite_by_rules("今年还打算修几条？", recorded) == "东山县修了绿道，今年还打算修几条？"


@pytest.mark.parametrize(
    "question, topic",
    [
        ("青禾县今年新建几座书屋？", "青禾县今年新建书屋"),
        ("东山县这几年修了多少公里绿道？", "东山县这几年修了绿道"),  # 这几年 is a time, not a count
        ("摊位补贴多久发一次？", "摊位补贴发一次"),
        ("书屋由哪个部门管？", "书屋由部门管"),
        ("夜市能摆到几点吗？", "夜市能摆到几点"),
        ("开业多久之内要办证？", "开业要办证"),  # the time it asks, with its 之内
        ("书屋从哪天开始开放？", "书屋从开始开放"),
        ("补贴是谁发的？", "补贴发的"),
    ],
)
def test_what_a_question_is_about_leaves_out_what_it_asks(question, topic):
    assert about(question) == topic


def test_a_usable_rewrite_is_one_line_of_sensible_length_with_the_new_words():
    question = "那广场呢？"
    assert usable_rewrite("青禾县今年改造几个广场？", question, PREVIOUS)
    assert not usable_rewrite("", "去年呢？", PREVIOUS)
    assert not usable_rewrite("青禾县去年\n改造几个广场？", question, PREVIOUS)
    assert not usable_rewrite("青禾县今年新建几座书屋？", question, PREVIOUS)  # lost 广场
    # two questions side by side are not one standalone question
    assert not usable_rewrite("青禾县今年新建几座书屋？那广场呢？", question, PREVIOUS)
    assert not usable_rewrite("青禾县今年新建几座书屋，广场呢？", question, PREVIOUS)
    assert not usable_rewrite("青禾县今年新建了多少书屋，改造几个广场？", question, PREVIOUS)
    assert usable_rewrite("青禾县今年新建书屋的广场有几个？", question, PREVIOUS)
    assert usable_rewrite("青禾县今年新建书屋，配套的广场有几个？", question, PREVIOUS)
    assert not usable_rewrite("青禾县今年新建几座书屋，广场", question, PREVIOUS)  # the previous one whole
    assert usable_rewrite("青禾县今年改造的广场有几个？", question, "广场？")  # too short to tell
    limit = 2 * (len(question) + len(PREVIOUS))
    assert usable_rewrite("广场" + "啊" * (limit - 2), question, PREVIOUS)
    assert not usable_rewrite("广场" + "啊" * (limit - 1), question, PREVIOUS)


class Scripted:
    def __init__(self, *pieces):
        self.pieces, self.calls, self.warmed = pieces, [], 0

    def warm_up(self):
        self.warmed += 1

    def stream(self, messages, max_tokens=48, stop=(), **options):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "stop": stop})
        for piece in self.pieces:
            yield Token(piece, -0.1)


def test_the_generator_gets_the_rewrite_prompt_and_one_line_to_write():
    generator = Scripted(" 青禾县今年", "改造几个", "广场？ ")
    rewriter = FollowupRewriter(generator, max_new_tokens=17)
    rewrite = rewriter.run("那广场呢？", [{"question": PREVIOUS}])
    (call,) = generator.calls
    assert call["messages"] == rewrite_messages(PREVIOUS, "那广场呢？")
    assert call["max_tokens"] == 17 and "\n" in call["stop"]
    assert rewrite.question == "青禾县今年改造几个广场？" and rewrite.how == "generator"
    rewriter.warm_up()
    assert generator.warmed == 1
    FollowupRewriter().warm_up()  # no generator: nothing to load


def test_the_previous_question_is_read_from_any_history_form():
    assert previous_question(None) is None and previous_question([]) is None
    assert previous_question([{"question": "甲？"}, {"question": "乙？", "rewritten": "乙县？"}]) == "乙县？"
    chat = [{"role": "user", "content": "书屋几座？"}, {"role": "assistant", "content": "18座"}]
    assert previous_question(chat) == "书屋几座？"
    assert previous_question([("书屋几座？", "18座"), ("", "空")]) == "书屋几座？"
    assert previous_question([{"role": "assistant", "content": "18座"}]) is None


def test_a_history_of_pairs_or_of_replies_only_is_read_as_it_stands():
    rewriter = FollowupRewriter()
    assert rewriter.standalone_history([(PREVIOUS, "18座"), ("那广场呢？", "3个")]) == "那广场呢？"
    replies = [{"role": "assistant", "content": "18座"}, {"role": "assistant", "content": "3个"}]
    assert rewriter.standalone_history(replies) is None
    assert rewriter.run("那广场呢？", replies).how == "as is"
