"""Figures in Chinese text (qa/figures.py): numbers with units and bounds, dates, ranges and what
a unit measures. Invented sentences about a fictional county (青禾县)."""

import pytest

from qa.figures import dimensions_in, number_spans, numbers_in


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


def test_a_figure_keeps_the_word_that_bounds_it_but_not_a_linking_verb():
    text = "书屋突破300座，读者超过 2 万人，借阅时间不超过三十日，藏书量达到5万册，约定三个月内还书"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["突破300座", "超过 2 万人", "不超过三十日", "5万", "三个月"]
    assert dimensions_in("不低于百分之八十") == {"rate"}
