"""The promises of the shared text vocabulary (qa/text.py) at their edges: offsets, empty input,
the first and last character, ties. Invented sentences about a fictional county (青禾县)."""

from datetime import date

from qa.text import (
    format_period,
    longest_common_substring,
    names_time,
    relative_period,
    resolve_relative_time,
    short_title,
    split_clauses,
    split_sentences,
    squash,
    squeeze_spaces,
    years_named,
)


def test_squash_removes_every_kind_of_whitespace_and_nothing_else():
    assert squash(" 青禾县\t新建\n书屋\u3000 18 座 ") == "青禾县新建书屋18座"
    assert squash("") == "" and squash(None) == ""
    assert squash("A-1，B") == "A-1，B"


def test_squeeze_spaces_drops_only_spaces_next_to_chinese_digits_or_punctuation():
    assert squeeze_spaces("青禾县\u3000新建 18\xa0座\t书屋 。") == "青禾县新建18座书屋。"
    assert squeeze_spaces("Wi Fi 覆盖") == "Wi Fi覆盖"
    assert squeeze_spaces("第一行\n第二行") == "第一行\n第二行"  # line breaks are not spaces here


def test_sentences_are_offsets_into_the_text_itself_by_default():
    text = "青禾县新建书屋。全年接待读者9万人次！"
    assert split_sentences(text) == [(0, 8), (8, 19)]
    assert split_sentences(text, offset=100) == [(100, 108), (108, 119)]


def test_a_sentence_keeps_its_closing_quotes_and_repeated_marks_and_loses_outer_spaces():
    text = "  县长说：“书屋要办好。”  真的吗？！\n\n最后一行"
    found = [text[s:e] for s, e in split_sentences(text)]
    assert found == ["县长说：“书屋要办好。”", "真的吗？！", "最后一行"]
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []
    semi = "甲;乙；丙!丁?戊"
    assert [semi[s:e] for s, e in split_sentences(semi)] == ["甲;", "乙；", "丙!", "丁?", "戊"]


def test_clauses_are_trimmed_offsets_with_the_offset_added():
    text = "青禾县， 新建书屋18座,　改造广场。翻新3所学校"
    spans = split_clauses(text, offset=7)
    assert [text[s - 7 : e - 7] for s, e in spans] == ["青禾县", "新建书屋18座", "改造广场", "翻新3所学校"]
    assert spans[1][0] == 7 + text.index("新建")
    assert split_clauses("，，") == []


def test_relative_words_name_periods_around_the_reference_year():
    cases = {
        "过去五年": (2036, 2040),
        "五年来": (2036, 2040),
        "今后五年": (2041, 2045),
        "未来的五年": (2041, 2045),
        "刚刚过去的一年": (2040, 2040),
        "上年度": (2040, 2040),
        "本年度": (2041, 2041),
        "前年": (2039, 2039),
        "明年": (2042, 2042),
        "下一年": (2042, 2042),
    }
    for words, period in cases.items():
        assert relative_period(f"青禾县{words}新建书屋", 2041) == period, words
    assert relative_period("青禾县新建书屋", 2041) is None


def test_a_comparison_at_the_very_start_names_no_period():
    assert relative_period("比上年增长3%", 2041) is None
    assert relative_period("较去年多建2座", 2041) is None
    assert relative_period("去年多建2座", 2041) == (2040, 2040)


def test_resolving_relative_time_writes_years_and_marks_five_year_spans():
    ref = date(2041, 6, 1)
    assert resolve_relative_time("前年和明年", ref) == "2039年和2042年"
    assert resolve_relative_time("今后五年建几座", ref) == "今后五年(2041—2045年)建几座"
    assert resolve_relative_time("五年来建了几座", ref) == "过去五年(2036—2040年)建了几座"
    assert resolve_relative_time("五年之后达到多少", ref) == "到2045年达到多少"
    assert resolve_relative_time("青禾县书屋", ref) == "青禾县书屋"


def test_format_period_names_one_year_or_a_span():
    assert format_period(2041, 2041) == "2041年"
    assert format_period(2036, 2040) == "2036—2040年"


def test_names_time_sees_years_relative_words_and_five_years_on():
    assert names_time("2041年") and names_time("明年") and names_time("五年以后")
    assert not names_time("青禾县新建18座书屋") and not names_time("")


def test_years_named_reads_single_years_spans_up_to_twenty_years_and_nothing_else():
    assert years_named("2041年") == frozenset({2041})
    assert years_named("2039-2041年") == frozenset({2039, 2040, 2041})
    assert years_named("2020—2040年") == frozenset(range(2020, 2041))  # twenty years: still a span
    assert years_named("2019—2040年") == frozenset()  # longer: not a period
    assert years_named("2041—2039年") == frozenset()  # backwards
    assert years_named(None) == frozenset() and years_named("") == frozenset()
    assert years_named("1899年和2101年") == frozenset()


def test_short_title_removes_every_trailing_note_but_never_the_whole_title():
    assert short_title("青禾县书屋管理办法（试行）(2041年3月 县政府)") == "青禾县书屋管理办法"
    assert short_title("（节选）") == "（节选）"
    assert short_title("青禾县（东片）书屋名录") == "青禾县（东片）书屋名录"


def test_longest_common_substring_edges():
    assert longest_common_substring("青禾", "书屋") == (0, 0, 0)
    assert longest_common_substring("", "书屋") == (0, 0, 0)
    assert longest_common_substring("屋", "书屋") == (1, 0, 1)  # the match at b's last character
    assert longest_common_substring("书屋", "书馆屋") == (1, 0, 0)  # ties: the first found wins
    assert longest_common_substring("新建书屋18座", "县里新建书屋") == (4, 0, 2)
