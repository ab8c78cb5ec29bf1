"""The shared Chinese-text vocabulary (qa/text.py), on invented sentences."""

from datetime import date

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


def test_longest_common_substring_positions():
    length, a_start, b_start = longest_common_substring("XX农村公路YY", "新建农村公路85公里")
    assert (length, a_start, b_start) == (4, 2, 2)
