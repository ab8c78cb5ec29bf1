"""What a question asks for (qa/answering/question.py), on invented questions."""

import pytest

from qa.answering.question import asks, names_a_person, names_only


@pytest.mark.parametrize(
    "question, kind",
    [
        ("县里新修了多少公里路？", "number"),
        ("公司一共有几个车间？", "number"),
        ("镇上有哪些特色产业？", "list"),
        ("这个项目由谁负责？", "person"),
        ("为什么要推迟开工？", "why"),
        ("怎么申请住房补贴？", "how"),
        ("没签合同能要回工资吗？", "yesno"),
        ("新建的公园叫什么？", "text"),
        # the A-not-A question of any verb or adjective, and the colloquial tags at the end
        ("装修前用不用跟物业报备？", "yesno"),
        ("押金退不退？", "yesno"),
        ("这份协议合不合法？", "yesno"),
        ("补贴发下来了没有？", "yesno"),
        ("网上买的能退不？", "yesno"),
        ("需要不需要先备案？", "yesno"),
        ("你们交社保不交？", "yesno"),
        ("合同里有这一条没有？", "yesno"),
        # idioms of the same shape ask nothing, and a clause asking which or what asks for a name
        ("单位动不动就扣钱，能去哪里投诉？", "text"),
        ("窗口人员爱理不理，找哪个部门？", "text"),
        ("交不交物业费由哪个部门定？", "text"),
        # 哪几 asks which ones, not how many
        ("申请补贴要交哪几种材料？", "list"),
        ("镇上几种补贴都能领？", "number"),
    ],
)
def test_kind(question, kind):
    assert asks(question).kind == kind


def test_unit_and_several_parts():
    assert asks("今年新建多少公里农村公路？").unit == "公里"
    assert asks("全镇今年建了几座桥？").unit == "座"  # 几 asks for a count as 多少 does
    assert asks("这几年全县修了多少公里路？").unit == "公里"  # 这几年 is a time span, not a count
    assert asks("城镇和农村居民收入分别增长多少？").parts
    assert not asks("城镇居民收入增长多少？").parts


def test_everyday_question_words_imply_their_unit():
    assert asks("修这座桥一共花了多少钱？").unit == "元" and asks("每月补助多少资金？").unit == "元"
    assert asks("新馆几月开放？").unit == "月" and asks("报名截止是哪天？").unit == "日"
    assert asks("新馆有多少个座位？").unit == "个" and asks("新馆开放了吗？").unit is None


def test_the_dimension_asked_for_comes_from_the_unit_the_rate_or_a_question_of_how_long():
    assert asks("修这座桥一共花了多少钱？").dimension == "money" and asks("覆盖率达到多少？").dimension == "rate"
    assert asks("投诉后多久能有答复？").dimension == "duration"
    assert asks("书屋每天多开多长时间？").dimension == "duration"
    assert asks("合同的期限是多长？").dimension == "duration" and asks("要等几天？").dimension == "duration"
    # a count, a length, or a question that asks no figure measures nothing said
    assert asks("新建多少座书屋？").dimension is None and asks("这条路有多长？").dimension is None
    assert asks("书屋多久开放一次，开放吗？").dimension is None  # the last clause asks yes or no
    # 年 that begins a word of its own (年轻人, 年级, 年龄) asks for no span of years
    assert asks("书屋今年吸引了多少年轻人？").unit is None and asks("书屋开放多少年了？").unit == "年"
    assert asks("借书的有几年级的学生？").unit is None and asks("几年内建成？").unit == "年"


def test_head_noun_is_the_noun_the_question_word_names():
    assert asks("哪个区新建的公园最多？").head == "区"
    assert asks("这个项目叫什么？").head == "项目"
    assert asks("今年新建多少座图书馆？").head == ""
    assert asks("由哪一级人民政府批准？").head == "人民政府"


def test_a_question_about_a_time_says_so():
    assert asks("书屋是哪一年建成的？").when and asks("什么时候开始施行？").when
    assert not asks("新建了多少座书屋？").when


def test_a_question_that_only_names_a_figure_or_a_share_asks_for_a_number():
    assert asks("明年全县财政收入增长目标").kind == "number"  # no question word at all
    assert asks("全县城镇新增就业指标？").kind == "number"
    assert asks("农家书屋占全县书屋多少？").rate and asks("农家书屋占全县书屋多少？").kind == "number"
    assert asks("如何实现增长？").kind == "how" and asks("主要目标是什么？").kind == "text"


@pytest.mark.parametrize(
    "question, kind",
    [
        ("几个邻居都说楼道里的灯不归物业管，真是这样吗？", "yesno"),  # 几个 sets the scene
        ("网购的东西过了多少天还没发货，消费者可以怎么办？", "how"),
        ("这几年乡村公路是怎么修的？", "how"),  # 这几年 is a span of time, not a count
        ("新修的公园叫什么，占地多少亩？", "number"),
        ("道路修了多少公里，哪条最长？", "number"),  # a last clause that asks nothing known
    ],
)
def test_the_last_clause_that_asks_sets_the_kind(question, kind):
    assert asks(question).kind == kind


def test_a_count_after_a_time_word_is_still_a_count():
    counted = asks("收到商品后几日内可以退货？")
    assert counted.kind == "number" and counted.unit == "日"
    assert asks("近几年粮食产量怎么提高的？").kind == "how"


@pytest.mark.parametrize("text", ["青禾县", "明年", "2041年？", "青禾县2041年", "那明年呢？", "这几年"])
def test_only_names_and_times(text):
    assert names_only(text)


@pytest.mark.parametrize(
    "text", ["青禾县有多少人口？", "养老保险", "2041年几月开工？", "明年谁来主持？", "杭州市的公园", "明年呢吗", "哪里"]
)
def test_anything_asked_or_any_other_word_is_more_than_names(text):
    assert not names_only(text)


def test_a_persons_name_by_jiebas_person_tags():
    assert names_a_person("青禾市市长　林志远")  # jieba parts 林 from 志远 (nrfg)
    assert not names_a_person("县人民政府办公室") and not names_a_person("市长")
    assert not names_a_person("由二人以上共同办理") and not names_a_person("出口到伊拉克")  # jieba's nrt
