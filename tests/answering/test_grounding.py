"""Grounding generated answers in evidence (qa/answering/grounding.py), on invented sentences."""

from qa.answering.evidence import Evidence
from qa.answering.grounding import (
    Span,
    align,
    clause_span,
    complete_span,
    joined_answer,
    locate,
    merge_spans,
    only_restates,
    ungrounded_numbers,
)


def _evidence(*texts, start=100):
    out = []
    for text in texts:
        out.append(Evidence(0, "doc", start, start + len(text), text, "某县报告", ("二、工作",), None, 1.0, 1.0))
        start += len(text) + 1
    return out


def test_locate_ignores_spaces_and_punctuation_width_and_whole_numbers():
    text = "修建乡村公路 3300 公里,改造危房 500 户。"
    start, end = locate("3300公里", text)
    assert text[start:end] == "3300 公里"
    start, end = locate("修建乡村公路 3300 公里，改造", text)
    assert text[start:end] == "修建乡村公路 3300 公里,改造"
    assert locate("50", text) is None  # not inside 500


def test_align_parts_and_keep_document_characters():
    evidence = _evidence("城镇和农村居民人均收入分别增长 5.1%和 7.3%。")
    spans, missing = align("5.1%；7.3%", evidence)
    assert [s.text for s in spans] == ["5.1%", "7.3%"] and not missing
    merged = merge_spans(spans, evidence)
    assert joined_answer(merged) == "5.1%和 7.3%"  # a short joiner between parts: one span
    assert evidence[0].text[merged[0].start - 100 : merged[0].end - 100] == merged[0].text


def test_a_figure_is_never_matched_approximately():
    evidence = _evidence("投诉应当在三十日内处理完毕。")
    spans, missing = align("十五天", evidence)
    assert not spans and missing == ["十五天"]


def test_a_bare_number_gets_its_unit_and_qualifier():
    evidence = _evidence("全年新增托育位置 1200个以上，建成社区食堂40家。")
    spans, _ = align("1200", evidence)
    assert complete_span(spans[0], evidence).text == "1200个以上"


def test_fragments_of_the_question_and_invented_numbers():
    assert only_restates("10", "全市PM10平均浓度是多少？")
    assert only_restates("二轮", "第二轮巡查整改了多少问题？")
    assert not only_restates("35微克", "全市PM10平均浓度是多少？")
    assert ungrounded_numbers("增长9.5%", "增长8%以上", "目标是多少") == ["9.5"]
    assert ungrounded_numbers("增长8%", "增长8%以上", "") == []


def test_clause_span_widens_to_the_clause_without_the_article_number():
    text = "第八条　承包方可以自愿放弃承包权，但应当提前三个月书面通知发包方。"
    evidence = [Evidence(0, "doc", 50, 50 + len(text), text, "某法", ("第八条",), None, 1.0, 0.5)]
    start = text.find("可以")
    widened = clause_span(Span(0, 50 + start, 50 + start + 2, "可以", True), evidence)
    assert widened.text == "承包方可以自愿放弃承包权" and text[widened.start - 50 : widened.end - 50] == widened.text
    later = text.find("应当")
    assert (
        clause_span(Span(0, 50 + later, 50 + later + 2, "应当", True), evidence).text
        == "但应当提前三个月书面通知发包方"
    )


def test_no_number_is_grounded_across_the_seam_of_source_and_question():
    assert ungrounded_numbers("三十日", "限期为三", "十日内答复吗？") == ["三十"]
    assert ungrounded_numbers("三十日", "限期为三十日", "") == []
