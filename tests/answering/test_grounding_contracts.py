"""The promises of grounding (qa/answering/grounding.py) at their edges: a span is always the
document's own characters at its offsets, partial matches need most of the part, figures only
match whole, and merging keeps source order. Invented sentences about a fictional county."""

from qa.answering.evidence import Evidence
from qa.answering.grounding import (
    Span,
    align,
    align_part,
    answer_parts,
    complete_span,
    locate,
    longest_common_span,
    merge_spans,
    only_restates,
    ungrounded_numbers,
)


def _evidence(*texts, start=100, gap=1, doc="qinghe"):
    out = []
    for text in texts:
        out.append(Evidence(0, doc, start, start + len(text), text, "青禾县报告", ("二、民生",), None, 1.0, 1.0))
        start += len(text) + gap
    return out


def _is_exact_slice(span, evidence):
    e = evidence[span.sentence]
    return e.text[span.start - e.start : span.end - e.start] == span.text and span.text


def test_words_next_to_figures_are_found_and_figures_only_whole():
    text = "共3.5万人，修路85公里，建书屋500座"
    for needle, found in [("公里", "公里"), ("修路", "修路"), ("3.5", "3.5"), ("85公里", "85公里"), ("书屋", "书屋")]:
        start, end = locate(needle, text)
        assert text[start:end] == found, needle
    for needle in ["5", "3", "50", "00座"]:  # inside 3.5, 3.5, 500 and 500
        assert locate(needle, text) is None, needle
    assert locate("", text) is None and locate(" \n", text) is None
    # whole as written: a space parts two numbers, though spaces are ignored otherwise
    dateline = "发布时间：2041-01-05 09:30  共计 3300 公里"
    start, end = locate("2041-01-05", dateline)
    assert dateline[start:end] == "2041-01-05" and locate("3300公里", dateline) is not None
    assert locate("2041-01-0", dateline) is None
    assert locate("35", "共3 5公里") is None  # across the space that parts two numbers
    assert locate("11", "编号111 11号") == (6, 8)  # a whole one after a cut one
    assert locate("200万元", "投资1\n200万元") == (4, 9)  # a line break parts them as a space does


def test_matching_folds_widths_and_day_words_but_keeps_the_document_characters():
    text = "㎡数120，应当在十五日内,办结"
    start, end = locate("十五天内，办结", text)
    assert text[start:end] == "十五日内,办结"
    start, end = locate("120,应当", text)
    assert text[start:end] == "120，应当"


def test_longest_common_span_maps_back_across_spaces():
    text = "新建 乡村 书屋18座"
    length, start, end = longest_common_span("在乡村书屋里", text)
    assert (length, text[start:end]) == (4, "乡村 书屋")
    assert longest_common_span("广场", text) == (0, 0, 0)


def test_answer_parts_split_on_semicolons_and_lines_and_trim_edges():
    assert answer_parts("“18座”；3个;\n\n 260张。") == ["18座", "3个", "260张"]
    assert answer_parts("；；") == []


def test_a_verbatim_part_is_exact_and_a_partial_one_is_not():
    evidence = _evidence("县里新建乡村书屋18座。", "东村书屋改造完成。")
    verbatim = align_part("乡村书屋18座", evidence)
    assert verbatim.exact is True and verbatim.text == "乡村书屋18座" and _is_exact_slice(verbatim, evidence)
    partial = align_part("村书屋建成", evidence)  # 3 of 5 characters shared: just enough
    assert partial.exact is False and partial.text == "村书屋" and partial.sentence == 0  # first of equals
    assert _is_exact_slice(partial, evidence)
    short = align_part("书屋们", _evidence("新建书屋18座。"))  # 2 of 3
    assert short.text == "书屋" and short.exact is False


def test_a_part_that_shares_too_little_is_not_aligned():
    evidence = _evidence("新建乡村书屋18座。")
    assert align_part("书屋管理办法条例", evidence) is None  # 2 of 8 characters
    assert align_part("村书屋建成投用", evidence) is None  # 3 of 7
    assert align_part("广场", evidence) is None


def test_the_longest_partial_match_wins_over_earlier_shorter_ones():
    evidence = _evidence("书屋开放。", "县里新建乡村书屋18座。")
    assert align_part("乡村书屋建成", evidence).sentence == 1


def test_an_enumeration_found_item_by_item_is_kept_when_most_items_are_found():
    evidence = _evidence("改造文化广场3个。", "新建健身步道2条。")
    spans, missing = align("文化广场、健身步道、停车场", evidence)
    assert [s.text for s in spans] == ["文化广场", "健身步道"] and missing == []
    spans, missing = align("文化广场、游泳馆、停车场", evidence)
    assert spans == [] and missing == ["文化广场、游泳馆、停车场"]


def test_an_enumeration_stated_as_a_whole_is_one_span():
    evidence = _evidence("改造文化广场、健身步道、停车场等设施。")
    spans, missing = align("文化广场、健身步道、停车场", evidence)
    assert [s.text for s in spans] == ["文化广场、健身步道、停车场"] and missing == [] and spans[0].exact


def test_align_reports_each_unaligned_part_and_never_repeats_a_span():
    evidence = _evidence("新建书屋18座。")
    spans, missing = align("18座；18座；游泳馆", evidence)
    assert [s.text for s in spans] == ["18座"] and missing == ["游泳馆"]


def _span(evidence, text, index=0, exact=True):
    e = evidence[index]
    start = e.text.index(text)
    return Span(index, e.start + start, e.start + start + len(text), text, exact)


def test_complete_span_widens_only_a_span_that_cuts_a_figure():
    evidence = _evidence("新建书屋18座,养老床位1260张以上。")
    inner = complete_span(_span(evidence, "260张", exact=False), evidence)  # starts inside 1260张以上
    assert inner.text == "1260张以上" and inner.exact is False and _is_exact_slice(inner, evidence)
    bare = complete_span(_span(evidence, "1260"), evidence)
    assert bare.text == "1260张以上" and bare.exact is True
    for whole in ["书屋", "新建书屋", ",养老床位", "书屋18座", "18座,养老"]:  # touch a figure, cut none
        assert complete_span(_span(evidence, whole), evidence) == _span(evidence, whole), whole


def test_merged_spans_follow_the_source_and_join_across_a_short_gap():
    evidence = _evidence("新建书屋18座，另有3个广场，另外有2条步道。")
    near = merge_spans([_span(evidence, "3个"), _span(evidence, "18座")], evidence)  # three apart
    assert [s.text for s in near] == ["18座，另有3个"] and near[0].exact is True
    far = merge_spans([_span(evidence, "2条"), _span(evidence, "3个")], evidence)  # four apart
    assert [s.text for s in far] == ["3个", "2条"]
    mixed = merge_spans([_span(evidence, "18座"), _span(evidence, "3个", exact=False)], evidence)
    assert mixed[0].exact is False


def test_adjacent_sentences_are_both_kept_and_other_documents_never_merge():
    evidence = _evidence("新建书屋18座。", "改造广场3个。", gap=0)
    first, second = _span(evidence, "新建书屋18座。", 0), _span(evidence, "改造广场3个。", 1)
    assert second.start == first.end
    assert merge_spans([second, first], evidence) == [first, second]
    other = _evidence("新建书屋18座。", doc="donghe") + _evidence("新建书屋18座。", doc="qinghe")
    spans = [_span(other, "18座", 1), _span(other, "18座", 0)]
    assert [(other[s.sentence].doc_id, s.text) for s in merge_spans(spans, other)] == [
        ("donghe", "18座"),
        ("qinghe", "18座"),
    ]


def test_restating_the_question_ignores_punctuation_around_the_answer():
    assert only_restates("“青禾县”。", "青禾县新建多少座书屋？")
    assert not only_restates("18座", "青禾县新建多少座书屋？")
    assert not only_restates("，。", "青禾县新建多少座书屋？")


def test_figures_are_grounded_whole_and_chinese_numerals_as_written():
    assert ungrounded_numbers("5座", "新建书屋500座") == ["5"]
    assert ungrounded_numbers("500座", "新建书屋500座") == []
    assert ungrounded_numbers("三十日", "应当在三十日内办结") == []
    assert ungrounded_numbers("四十日", "应当在三十日内办结") == ["四十"]
    assert ungrounded_numbers("2041-01-05", "发布时间：2041-01-05 09:30") == []  # a space parts 05 and 09
    assert ungrounded_numbers("2041年", "新建书屋500座", "2041年建了几座") == []
