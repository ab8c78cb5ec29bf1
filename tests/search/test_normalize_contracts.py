"""Edges of question cleaning and normalization (qa/search/normalize.py), on invented questions
about a fictional county."""

from datetime import date

import pytest

from qa.search.normalize import (
    MAX_QUESTION_CHARS,
    NormalizedQuery,
    QuestionError,
    clean_question,
    normalize_query,
    numerals_to_digits,
    to_simplified_halfwidth,
)


def test_utf8_bytes_are_read_as_the_question_they_spell():
    assert clean_question("青禾县有几座书屋".encode()) == "青禾县有几座书屋"
    assert normalize_query("今年青禾县建几座书屋".encode(), date(2041, 1, 5)).rewritten == "2041年青禾县建几座书屋"


def test_a_non_text_question_is_refused_politely():
    with pytest.raises(QuestionError, match="文字"):
        clean_question(42)


def test_control_characters_go_but_line_breaks_and_tabs_inside_stay():
    assert clean_question("青禾县\x07书屋\n几座\t？\x1b") == "青禾县书屋\n几座\t？"


def test_a_question_of_exactly_the_limit_is_accepted():
    question = "书" * (MAX_QUESTION_CHARS - 1) + "？"
    assert clean_question(question) == question
    with pytest.raises(QuestionError, match=str(MAX_QUESTION_CHARS + 1)):
        clean_question(question + "书")  # the message says how long it was


def test_zero_width_characters_and_full_width_forms_are_normalized():
    assert to_simplified_halfwidth("青禾縣\u200b書屋\ufeff１８座\u200f") == "青禾县书屋18座"


def test_numerals_become_digits_and_plain_text_stays():
    assert numerals_to_digits("新建十八座书屋") == "新建18座书屋"
    assert numerals_to_digits("青禾县书屋") == "青禾县书屋"


def test_the_normalized_query_keeps_the_original_and_says_whether_it_changed():
    asked = " 今年青禾县建了幾座書屋 "
    query = normalize_query(asked, date(2041, 1, 5))
    assert query.original == asked and query.rewritten == "2041年青禾县建了几座书屋" and query.changed
    same = normalize_query("青禾县书屋归谁管", None)
    assert same.original == "青禾县书屋归谁管" and not same.changed and same.variants == ()
    assert not NormalizedQuery(" 书屋 ", "书屋").changed
