"""More of what a question asks for (qa/answering/question.py): rates, units, several parts and the
head noun, on invented questions about a fictional county."""

import pytest

from qa.answering.question import asks


@pytest.mark.parametrize(
    "question",
    ["青禾县书屋覆盖率是多少？", "养老床位占比多大？", "青禾县财政收入增速是百分之几？", "青禾县书屋达到几成？"],
)
def test_a_number_question_about_a_share_asks_for_a_rate(question):
    found = asks(question)
    assert found.kind == "number" and found.rate


@pytest.mark.parametrize("question", ["青禾县新建多少座书屋？", "覆盖率怎么提高？", "覆盖率为什么下降？"])
def test_a_count_or_a_question_that_is_not_about_a_figure_asks_for_no_rate(question):
    assert not asks(question).rate


def test_the_unit_asked_for_is_the_longest_one_named():
    assert asks("青禾县新增多少万平方米绿地？").unit == "万平方米"
    assert asks("青禾县有几个工作日办结？").unit == "个工作日"
    assert asks("青禾县书屋归谁管？").unit is None


def test_several_parts_are_asked_with_fen_bie_ge_or_a_count_of_things():
    assert asks("书屋和广场各建了多少？").parts
    assert asks("哪三个乡镇建了书屋？").parts
    assert not asks("青禾县新建多少座书屋？").parts


def test_the_head_noun_may_be_a_verbal_noun_on_either_side_of_the_question_word():
    assert asks("青禾县推进了哪项改革？").head == "改革"  # after 哪
    assert asks("这项管理是什么？").head == "管理"  # before 是什么
    assert asks("它叫什么？").head == ""  # nothing named before 叫什么
    assert asks("什么地方的书屋多？").head == "地方"
