from datetime import date

import pytest

from qa.index.lexical import tokenize
from qa.search.normalize import MAX_QUESTION_CHARS, QuestionError, normalize_query, require_question

REPORT_DATE = date(2022, 1, 13)


@pytest.mark.parametrize(
    "question,expected",
    [
        ("今年GDP增长目标是多少", "2022年GDP增长目标是多少"),
        ("去年農村居民收入漲了多少", "2021年农村居民收入涨了多少"),
        ("明年呢", "2023年呢"),
        ("这五年修了多少公路", "过去五年(2017—2021年)修了多少公路"),
        ("过去五年贫困人口", "过去五年(2017—2021年)贫困人口"),
        ("未来五年的目标", "今后五年(2022—2026年)的目标"),
        ("五年以后GDP县区达到几个", "到2026年GDP县区达到几个"),
        ("ＧＤＰ　增长 多少？", "GDP增长多少?"),
    ],
)
def test_rewrites(question, expected):
    assert normalize_query(question, REPORT_DATE).rewritten == expected


def test_relative_time_needs_a_reference():
    assert normalize_query("今年的目标", None).rewritten == "今年的目标"


def test_numeral_variant_for_lexical_matching():
    q = normalize_query("百亿级县区达到十三个吗", REPORT_DATE)
    assert "13个" in q.variants[0]
    assert normalize_query("增长多少", REPORT_DATE).variants == ()


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "\ud800", b"\xff\xfe\xfa"])
def test_empty_or_garbage_questions_get_a_polite_error(bad):
    with pytest.raises(QuestionError, match="问题"):
        normalize_query(bad, REPORT_DATE)


def test_overlong_question_refused():
    with pytest.raises(QuestionError, match=str(MAX_QUESTION_CHARS)):
        normalize_query("问" * (MAX_QUESTION_CHARS + 1), REPORT_DATE)


def test_tokenize_drops_question_words_and_punctuation():
    tokens = tokenize("2022年规上工业增加值增长多少？")
    assert "规上" in tokens or "规上工业" in tokens
    assert "多少" not in tokens and "？" not in tokens and "?" not in tokens
    assert tokenize("400 万亩") == tokenize("400万亩")


@pytest.mark.parametrize("text", ["你好", "您好，在吗？", "我有个问题", "请问一下", "😀🎉"])
def test_input_that_asks_nothing_yet_gets_a_polite_message(text):
    with pytest.raises(QuestionError, match="想了解的内容"):
        normalize_query(text)


@pytest.mark.parametrize(
    "text", ["低保？", "现在呢？", "你好，今年新建多少所学校？", "物业问题归谁管？", "What is the budget?"]
)
def test_short_or_polite_questions_still_count(text):
    assert normalize_query(text).rewritten


@pytest.mark.parametrize("text", ["青禾县", "明年", "2041年？", "青禾县2041年", "那明年呢？", "杭州市吗"])
def test_a_bare_name_or_time_asks_nothing(text):
    with pytest.raises(QuestionError, match="请把问题说完整"):
        require_question(text)


@pytest.mark.parametrize(
    "text",
    ["青禾县有多少人口？", "养老保险", "2041年几月开工？", "明年谁来主持？", "What is the budget?", "杭州市的公园"],
)
def test_a_question_about_a_name_or_time_is_a_question(text):
    require_question(text)  # raises QuestionError if taken for a bare name
