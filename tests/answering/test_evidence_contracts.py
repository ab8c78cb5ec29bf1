"""What evidence selection (qa/answering/evidence.py) promises: sentences are the document's own
text at their offsets, each once, from the first few passages only; scores rank them and the
budget bounds them. Invented passages about a fictional county (青禾县)."""

from dataclasses import replace

import pytest

from qa.answering.evidence import Evidence, EvidenceSelector, coverage
from qa.answering.question import asks
from qa.index.lexical import tokenize
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit
from qa.settings import EvidenceSettings

DOC = "青禾县新建乡村书屋18座。书屋由县文旅局管理。\n改造文化广场3个。全县建成健身步道、篮球场、游泳池等设施。"


def _chunk(n, start, end, section=("二、民生",), period="2041年", doc="qinghe"):
    return Chunk(f"{doc}#{n}", doc, n, start, end, DOC[start:end], section, period, "body", "青禾县报告(2041年1月)")


def _hits(*chunks):
    return [Hit(chunk, 1.0 - n / 10) for n, chunk in enumerate(chunks)]


def test_sentences_are_document_text_at_their_offsets_each_once():
    second = DOC.index("改造")
    hits = _hits(_chunk(0, 0, second), _chunk(1, DOC.index("书屋由"), len(DOC)))  # the chunks overlap
    sentences = EvidenceSelector(EvidenceSettings()).sentences(hits)
    assert [e.text for e in sentences] == [
        "青禾县新建乡村书屋18座。",
        "书屋由县文旅局管理。",
        "改造文化广场3个。",
        "全县建成健身步道、篮球场、游泳池等设施。",
    ]
    for e in sentences:
        assert DOC[e.start : e.end] == e.text and e.doc_id == "qinghe"
        assert e.title == "青禾县报告(2041年1月)" and e.section == ("二、民生",) and e.period == "2041年"
        assert e.score == 0.0 and e.coverage == 0.0
    assert [e.hit for e in sentences] == [0, 0, 1, 1]


def test_the_same_offsets_in_another_document_are_another_sentence():
    hits = _hits(_chunk(0, 0, 13), _chunk(1, 0, 13, doc="donghe"))
    assert [(e.doc_id, e.hit) for e in EvidenceSelector(EvidenceSettings()).sentences(hits)] == [
        ("qinghe", 0),
        ("donghe", 1),
    ]


def test_only_the_first_passages_are_read():
    hits = _hits(_chunk(0, 0, 13), _chunk(1, 13, 24), _chunk(2, 25, 34))
    sentences = EvidenceSelector(replace(EvidenceSettings(), hits=2)).sentences(hits)
    assert {e.hit for e in sentences} == {0, 1}
    chosen = EvidenceSelector(replace(EvidenceSettings(), hits=2)).run("青禾县改造几个文化广场？", hits)
    assert all(e.hit < 2 for e in chosen)


def test_selection_scores_keep_the_offsets_and_rank_the_asked_sentence_first():
    hits = _hits(_chunk(0, 0, len(DOC)))
    chosen = EvidenceSelector(EvidenceSettings()).run("青禾县改造了几个文化广场？", hits)
    assert chosen[0].text == "改造文化广场3个。"
    assert [e.score for e in chosen] == sorted((e.score for e in chosen), reverse=True)
    for e in chosen:
        assert DOC[e.start : e.end] == e.text and 0.0 <= e.coverage <= 1.0
    assert len(chosen) <= EvidenceSettings().max_sentences


def test_a_figure_question_prefers_sentences_with_figures_and_a_list_question_enumerations():
    hits = _hits(_chunk(0, 0, len(DOC)))
    flat = replace(EvidenceSettings(), own_weight=0.0, context_weight=0.0, rank_weight=0.0, type_weight=1.0)
    number = EvidenceSelector(flat).run("有多少？", hits)
    assert {e.text for e in number[:2]} == {"青禾县新建乡村书屋18座。", "改造文化广场3个。"}
    assert number[0].score == pytest.approx(1.0) and number[-1].score == pytest.approx(-1.0)
    listing = EvidenceSelector(flat).run("都有哪些？", hits)
    assert listing[0].text == "全县建成健身步道、篮球场、游泳池等设施。" and listing[0].score == pytest.approx(1.0)
    assert listing[1].score == pytest.approx(0.0)


def test_the_weights_add_up_as_documented():
    chunk = _chunk(0, 0, 13, section=("2041年青禾县重点工作",))  # "青禾县新建乡村书屋18座。"
    hits = [Hit(chunk, 0.5)]
    settings = EvidenceSettings(own_weight=1.0, context_weight=0.5, rank_weight=1.5, type_weight=0.2, period_weight=0.3)
    question = "2041年青禾县新建多少座书屋？"
    (sentence,) = EvidenceSelector(settings).run(question, hits)
    own = coverage(tokenize(question), chunk.text)
    assert 0.0 < own < 1.0 and coverage(tokenize(question), "2041年青禾县重点工作" + chunk.text) == 1.0
    # own coverage, context coverage (with the section), rank 0.5 / 0.5, a figure for 多少, the period asked
    assert sentence.coverage == pytest.approx(1.0)
    assert sentence.score == pytest.approx(own + 0.5 + 1.5 + 0.2 + 0.3)
    (other,) = EvidenceSelector(settings).run("青禾县新建了哪些设施？", hits)  # no figure, no period asked
    assert other.score == pytest.approx(
        coverage(tokenize("青禾县新建了哪些设施？"), chunk.text)
        + 0.5 * coverage(tokenize("青禾县新建了哪些设施？"), "2041年青禾县重点工作" + chunk.text)
        + 1.5
    )
    earlier = "2039年青禾县新建多少座书屋？"  # another period: demoted, still kept (nothing else)
    (demoted,) = EvidenceSelector(settings).run(earlier, hits)
    assert demoted.score == pytest.approx(
        coverage(tokenize(earlier), chunk.text)
        + 0.5 * coverage(tokenize(earlier), "2041年青禾县重点工作" + chunk.text)
        + 1.5
        + 0.2
        - 0.3
    )


def test_the_character_budget_and_the_sentence_limit_bound_the_list():
    hits = _hits(_chunk(0, 0, len(DOC)))
    one = EvidenceSelector(replace(EvidenceSettings(), max_sentences=1)).run("书屋", hits)
    assert len(one) == 1
    tight = EvidenceSelector(replace(EvidenceSettings(), max_chars=1)).run("书屋", hits)
    assert len(tight) == 1  # the best sentence is always kept
    roomy = EvidenceSelector(replace(EvidenceSettings(), max_sentences=10, max_chars=10_000)).run("书屋", hits)
    assert len(roomy) == 4
    two = EvidenceSelector(replace(EvidenceSettings(), max_sentences=10, max_chars=23)).run("书屋", hits)
    assert sum(len(e.text) for e in two) <= 23 and len(two) == 2


def test_no_passages_no_evidence():
    assert EvidenceSelector(EvidenceSettings()).run("书屋有几座？", []) == []


def test_coverage_counts_characters_of_the_question_words_found():
    assert coverage(["青禾县", "书屋"], "青禾县 新建书屋") == pytest.approx(1.0)
    assert coverage(["青禾县", "书屋"], "东河县新建书屋") == pytest.approx(2 / 5)
    assert coverage([], "青禾县") == 0.0


def test_what_a_question_asks_for():
    assert asks("新建了几座书屋").kind == "number" and asks("书屋归谁管").kind != "number"
    assert asks("都有哪些设施").kind == "list" and asks("哪三个乡镇？").kind == "list"


def test_where_a_sentence_stands_in_words():
    e = Evidence(0, "qinghe", 0, 5, "书屋18座", "青禾县报告(2041年1月)", ("一、回顾", "二、民生"), "2041年", 1.0, 1.0)
    assert e.where == "青禾县报告 › 二、民生（2041年）"
    long_section = "三、" + "持续推进公共文化服务体系建设" * 3
    e = replace(e, section=(long_section,), period=None)
    assert e.where == f"青禾县报告 › {long_section[:24]}…"
    assert replace(e, section=(), title="").where == ""


PERIODS = ["2041年青禾县新建书屋18座。", "2039年青禾县新建书屋9座。", "青禾县书屋由县文旅局管理。"]


def _dated(periods):
    hits, start = [], 0
    for n, (text, period) in enumerate(zip(PERIODS, periods)):
        chunk = Chunk(f"qinghe#{n}", "qinghe", n, start, start + len(text), text, (), period, "body", "青禾县报告")
        hits.append(Hit(chunk, 1.0))
        start += len(text)
    return hits


def test_sentences_of_another_period_go_only_when_the_asked_period_is_there():
    roomy = replace(EvidenceSettings(), max_sentences=10, max_chars=10_000)
    chosen = EvidenceSelector(roomy).run("2041年青禾县新建几座书屋？", _dated(["2041年", "2039年", None]))
    assert sorted(e.text for e in chosen) == sorted([PERIODS[0], PERIODS[2]])  # undated stays
    kept = EvidenceSelector(roomy).run("2041年青禾县新建几座书屋？", _dated(["2040年", "2039年", None]))
    assert len(kept) == 3  # nothing about 2041: nothing dropped


def test_a_leading_passage_gives_its_best_sentence_first_even_when_weaker():
    hits = _dated([None, None, None])
    hits = [Hit(h.chunk, 1.0) for h in hits]
    settings = replace(EvidenceSettings(), per_hit_leaders=1, max_sentences=1, rank_weight=0.0, type_weight=0.0)
    question = "书屋由哪个部门管理？"  # the third passage answers it
    assert [e.hit for e in EvidenceSelector(replace(settings, per_hit_leaders=0)).run(question, hits)] == [2]
    assert [e.hit for e in EvidenceSelector(settings).run(question, hits)] == [0]
    two = EvidenceSelector(replace(settings, per_hit_leaders=2)).run(question, hits)
    both = EvidenceSelector(replace(settings, per_hit_leaders=2, max_sentences=2)).run(question, hits)
    assert {e.hit for e in both} == {0, 1}
    assert [e.hit for e in two] == [max(both, key=lambda e: e.score).hit]  # the better leader first
    many = EvidenceSelector(replace(settings, per_hit_leaders=5, max_sentences=5)).run(question, hits)
    assert {e.hit for e in many} == {0, 1, 2}  # more leaders than passages: no error
