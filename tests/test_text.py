"""The shared Chinese-text vocabulary (qa/text.py), on invented sentences."""

from datetime import date

import pytest

from qa.figures import dimensions_in, number_spans, numbers_in
from qa.text import (
    longest_common_substring,
    names_time,
    relative_period,
    resolve_relative_time,
    split_clauses,
    split_sentences,
    squeeze_spaces,
    years_named,
)


def test_squeeze_spaces_keeps_latin_word_gaps():
    assert squeeze_spaces("新建 120 万亩 农田, New York 港") == "新建120万亩农田,New York港"


def test_sentences_and_clauses_keep_exact_offsets():
    text = "第一句话。第二句，有逗号；第三句！\n第四行"
    spans = split_sentences(text, offset=10)
    assert [text[s - 10 : e - 10] for s, e in spans] == ["第一句话。", "第二句，有逗号；", "第三句！", "第四行"]
    clauses = "甲乙，丙丁,戊"
    assert [clauses[s:e] for s, e in split_clauses(clauses)] == ["甲乙", "丙丁", "戊"]


def test_relative_periods_resolve_against_the_reference_year():
    ref = date(2031, 3, 1)
    assert resolve_relative_time("今年和去年各修了多少路", ref) == "2031年和2030年各修了多少路"
    assert resolve_relative_time("这五年建了几座桥", ref) == "过去五年(2026—2030年)建了几座桥"
    assert resolve_relative_time("五年后要达到多少", ref) == "到2035年要达到多少"
    assert resolve_relative_time("今年目标", None) == "今年目标"


def test_a_comparison_does_not_name_the_period_a_text_is_about():
    assert relative_period("一年来，全县粮食增产", 2031) == (2030, 2030)
    assert relative_period("粮食产量比上年增长3%", 2031) is None
    assert relative_period("今年和今后五年", 2031) is None  # two periods: undecided


def test_years_named_and_time_words():
    assert years_named("2019—2021年和2025年") == frozenset({2019, 2020, 2021, 2025})
    assert names_time("去年") and names_time("2024年") and not names_time("农田")


def test_numbers_with_units_qualifiers_and_chinese_numerals():
    text = "新增学位1000个以上，延长服务三十日，占比百分之五十以上，修路 85 公里，五连冠"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["1000个以上", "三十日", "百分之五十以上", "85 公里", "五连冠"]
    assert numbers_in("夺得五连冠") == ["五连冠"] and numbers_in("开展两轮督察") == ["两"]


def test_a_date_is_one_figure():
    text = "青禾县人民政府 2023年2月10日印发，自二〇二四年一月一日起施行，3月15日前报送"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["2023年2月10日", "二〇二四年一月一日", "3月15日"]
    text = "计划9月开工，10月份完工，用时12个月，2022年增长6.6%"  # months, a duration, a bare year
    assert [text[s:e] for s, e in number_spans(text)] == ["9月", "10月份", "12个月", "2022年", "6.6%"]


def test_a_range_is_one_figure():
    text = "每周开放3-5天，补贴2000～3000元，罚款五到十万元，4月1日至4月30日受理，从30个增加到50个"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["3-5天", "2000～3000元", "五到十万元", "4月1日至4月30日", "30个", "50个"]
    text = "收费标准为 10 — 20 元，二、三到五人一组"  # spaces around the mark; a list number is no end
    assert [text[s:e] for s, e in number_spans(text)] == ["10 — 20 元", "三到五人"]


@pytest.mark.parametrize(
    "text, figures",
    [
        ("失业率下降0.3个百分点至5.0%", ["0.3个百分点", "5.0%"]),  # by, then to
        ("收入增长8.5%至120亿元", ["8.5%", "120亿元"]),  # two units
        ("人口减少0.5万人至12万人", ["0.5万人", "12万人"]),  # a change before 至
        ("窗口统一到3个", ["3个"]),  # the 一 of 统一 counts nothing
        ("办公时间9:00-17:00", ["9", "00", "17", "00"]),  # clock times
        ("规划期2031——2035年，2031年至2032年6月试点", ["2031——2035年", "2031年至2032年6月"]),
    ],
)
def test_neighbouring_figures_are_a_range_only_when_they_read_as_one(text, figures):
    assert [text[s:e] for s, e in number_spans(text)] == figures


def test_longest_common_substring_positions():
    length, a_start, b_start = longest_common_substring("XX农村公路YY", "新建农村公路85公里")
    assert (length, a_start, b_start) == (4, 2, 2)


def test_a_figure_keeps_the_word_that_bounds_it_but_not_a_linking_verb():
    text = "书屋突破300座，读者超过 2 万人，借阅时间不超过三十日，藏书量达到5万册，约定三个月内还书"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["突破300座", "超过 2 万人", "不超过三十日", "5万", "三个月"]
    assert dimensions_in("不低于百分之八十") == {"rate"}
