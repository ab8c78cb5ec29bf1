"""What the refusal policy's parts promise (qa/answering/refusal.py), each by its documented meaning:
the logistic, every signal, the kind fit, and which reader's weights and threshold decide.
Invented passages about a fictional county (青禾县); the weights are written for the test."""

import math
from dataclasses import replace

import pytest

from qa.answering.evidence import Evidence
from qa.answering.grounding import Span
from qa.answering.question import asks
from qa.answering.refusal import (
    MAY_GO_UNMEASURED,
    RefusalPolicy,
    certain_refusal,
    kind_fit,
    logistic,
    name_missing,
    period_conflict,
    question_missing,
    signals,
    with_unmeasured,
)
from qa.answering.types import Draft
from qa.fitted import RefusalSettings
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit

FIRST = "青禾县新建乡村书屋18座，改造文化广场3个。"
SECOND = "书屋由县文旅局统一管理。"


def _evidence(period="2041年"):
    return [
        Evidence(0, "qinghe", 0, len(FIRST), FIRST, "青禾县报告", ("二、民生",), period, 2.0, 0.9),
        Evidence(0, "qinghe", 30, 30 + len(SECOND), SECOND, "青禾县报告", ("三、管理",), None, 1.0, 0.3),
    ]


def _hits():
    return [Hit(Chunk("q#0", "qinghe", 0, 0, len(FIRST), FIRST, ("二、民生",), "2041年", "body", "青禾县报告"), 1.0)]


def _span(evidence, index, text, exact=True):
    e = evidence[index]
    start = e.start + e.text.index(text)
    return Span(index, start, start + len(text), text, exact)


def test_logistic_is_the_sigmoid_of_bias_plus_weighted_values_and_never_overflows():
    assert logistic([("bias", 0.0)], {}) == 0.5
    assert logistic([("bias", 1.0), ("a", 2.0), ("b", -1.0)], {"a": 0.5, "b": 3.0}) == pytest.approx(
        1 / (1 + math.exp(-(1.0 + 1.0 - 3.0)))
    )
    assert logistic([("a", 1000.0)], {"a": 1.0}) == 1 / (1 + math.exp(-30))  # clipped at ±30
    assert logistic([("a", -1000.0)], {"a": 1.0}) == pytest.approx(1 / (1 + math.exp(30)), rel=1e-9, abs=0)


def test_signals_of_a_partly_grounded_inexact_answer_cited_second():
    evidence = _evidence()
    draft = Draft(
        "generative",
        [_span(evidence, 1, "县文旅局", exact=False)],
        "县文旅局；县政府",
        missing=["县政府", "县财政"],
        logprobs=[-1.0, -2.0, -3.0],
        score=0.25,
    )
    question = "书屋归谁管？"
    values = signals(question, asks(question), _hits(), evidence, draft)
    assert values["unaligned"] == pytest.approx(2 / 3)
    assert values["inexact"] == 1.0
    assert values["coverage"] == pytest.approx(0.9) and values["cited_coverage"] == pytest.approx(0.3)
    assert values["cited_rank"] == 1.0 and values["reader_score"] == 0.25
    assert values["logprob_mean"] == pytest.approx(-2.0) and values["logprob_min"] == -3.0


def test_cited_similarity_is_the_best_embedding_similarity_among_the_cited_sentences_only():
    evidence = [replace(e, similarity=s) for e, s in zip(_evidence(), (0.9, 0.6))]
    question = "书屋归谁管？"
    cited_second = Draft("generative", [_span(evidence, 1, "县文旅局")], "县文旅局")
    assert signals(question, asks(question), _hits(), evidence, cited_second)["cited_similarity"] == 0.6
    both = Draft("generative", [_span(evidence, 0, FIRST[:4]), _span(evidence, 1, "县文旅局")], "")
    assert signals(question, asks(question), _hits(), evidence, both)["cited_similarity"] == 0.9
    nothing = Draft("generative", missing=["县政府"])
    assert math.isnan(signals(question, asks(question), _hits(), evidence, nothing)["cited_similarity"])
    unmeasured = signals(question, asks(question), _hits(), _evidence(), cited_second)  # no embeddings
    assert math.isnan(unmeasured["cited_similarity"])


def test_a_signal_that_could_not_be_measured_weighs_in_at_its_stand_in():
    values = {"cited_similarity": math.nan, "coverage": 0.5}
    assert with_unmeasured(values, (("cited_similarity", 0.9),)) == {"cited_similarity": 0.9, "coverage": 0.5}
    with pytest.raises(ValueError, match="cited_similarity"):
        with_unmeasured(values, ())  # no stand-in
    with pytest.raises(ValueError, match="doubt"):
        with_unmeasured({"doubt": math.nan}, (("doubt", 0.0),))  # a signal that is always measured
    with pytest.raises(ValueError, match="NaN"):
        logistic([("bias", 0.0), ("cited_similarity", 1.0)], {"cited_similarity": math.nan})
    assert {name for name, _ in RefusalSettings().unmeasured} == set(MAY_GO_UNMEASURED)
    settings = RefusalSettings(
        generative=(("bias", -9.0), ("cited_similarity", 10.0)),
        unmeasured=(("cited_similarity", 0.9),),
        similarity_model="e5",
    )
    assert RefusalPolicy(settings, "e5").probability({"cited_similarity": math.nan}, "generative") == 0.5
    assert RefusalPolicy(settings, "e5").probability({"cited_similarity": 0.5}, "generative") < 0.02


def test_similarities_of_another_encoder_than_the_fitted_one_count_as_unmeasured():
    settings = RefusalSettings(
        generative=(("bias", -9.0), ("cited_similarity", 10.0)),
        unmeasured=(("cited_similarity", 0.9),),
        similarity_model="e5",
    )
    for other in ("test/hashing", None):  # another scale of cosines, or none known
        assert RefusalPolicy(settings, other).probability({"cited_similarity": 0.5}, "generative") == 0.5


def test_an_answer_cited_from_a_sentence_about_another_year_is_refused_for_certain():
    evidence = _evidence(period="2039年")
    draft = Draft("extractive", [_span(evidence, 0, "18座")], "18座", score=0.9)
    question = "2041年青禾县新建多少座书屋？"
    assert "2039年" in certain_refusal(question, evidence, draft)
    assert certain_refusal("2039年青禾县新建多少座书屋？", evidence, draft) == ""
    values = signals(question, asks(question), _hits(), evidence, draft)
    assert values["inexact"] == 0.0 and values["unaligned"] == 0.0
    assert values["cited_rank"] == 0.0 and values["kind_fit"] == 1.0 and values["cited_coverage"] == 0.9
    nothing = signals(question, asks(question), _hits(), evidence, Draft("extractive", missing=["x"]))
    assert nothing["unaligned"] == 1.0 and nothing["cited_coverage"] == 0.0 and nothing["cited_rank"] == 2


def test_period_conflict_needs_years_on_both_sides_that_do_not_meet():
    evidence = _evidence(period="2037—2041年")[0]
    assert not period_conflict("2041年建了几座？", evidence)
    assert period_conflict("2035年建了几座？", evidence)
    assert not period_conflict("建了几座？", evidence)
    assert not period_conflict("2035年建了几座？", _evidence(period=None)[0])
    # a sentence of a later plan that recalls the year asked may answer it
    recalls = Evidence(0, "qinghe", 0, 14, "2035年已建成书屋12座。", "青禾县报告", (), "2037—2041年", 1.0, 0.5)
    assert not period_conflict("2035年建了几座？", recalls)


def test_name_missing_when_the_cited_text_lacks_a_place_the_question_names():
    cited = [Evidence(0, "qinghe", 0, 12, "新建乡村书屋18座。", "青禾县报告", ("二、民生",), None, 1.0, 0.5)]
    assert "杭州市" in asks("杭州市新建了多少座书屋？").names
    assert name_missing(asks("杭州市新建了多少座书屋？"), cited) == 1.0
    assert name_missing(asks("青禾县新建了多少座书屋？"), cited) == 0.0  # the title holds it
    assert name_missing(asks("新建了多少座书屋？"), cited) == 0.0
    assert name_missing(asks("杭州市新建了多少座书屋？"), []) == 0.0


def test_question_missing_is_the_share_of_question_characters_nowhere_in_the_passages():
    assert question_missing("青禾县书屋", _hits()) == 0.0
    assert question_missing("青禾县地铁", _hits()) == pytest.approx(0.4)  # 地铁: two of five
    assert question_missing("二、民生", _hits()) == 0.0  # the section counts
    assert question_missing("？", _hits()) == 0.0


@pytest.mark.parametrize(
    "question, answer, parts, fit",
    [
        ("青禾县书屋覆盖率是多少？", "百分之九十", 1, 1.0),
        ("青禾县书屋覆盖率是多少？", "18座", 1, 0.0),  # a count for a rate
        ("青禾县新建多少座书屋？", "2041年", 1, 0.0),  # a bare year is not a count
        ("青禾县新建多少座书屋？", "18座", 1, 1.0),
        ("青禾县新建多少书屋？", "18个", 1, 1.0),  # no unit asked: any figure
        ("青禾县新建多少书屋？", "乡村书屋", 1, 0.0),  # no figure at all
        ("青禾县书屋数量是多少？", "2041年", 1, 0.0),  # a bare year, no unit asked
        ("青禾县建了哪些设施？", "书屋和广场", 1, 1.0),
        ("青禾县建了哪些设施？", "书屋", 2, 1.0),
        ("青禾县建了哪些设施？", "书屋", 1, 0.5),
        ("书屋由谁负责？", "李建国", 1, 1.0),
        ("书屋由谁负责？", "县文旅局", 1, 0.0),
        ("书屋为什么要改造？", "方便群众", 1, 1.0),
    ],
)
def test_kind_fit(question, answer, parts, fit):
    assert kind_fit(asks(question), answer, parts) == fit


def test_invented_figures_are_refused_for_certain_only_from_the_generator():
    evidence = _evidence()
    question = "青禾县新建多少座书屋？"
    invented = Draft("generative", [_span(evidence, 0, "18座")], "18座，另有25座")
    assert "25" in certain_refusal(question, evidence, invented)
    assert certain_refusal(question, evidence, Draft("extractive", invented.spans, invented.text)) == ""
    assert certain_refusal(question, evidence, Draft("extractive")) == "no answer span"


def test_each_reader_is_judged_by_its_own_weights_and_threshold():
    settings = RefusalSettings(
        generative=(("bias", 2.0),), extractive=(("bias", -2.0),), generative_threshold=0.5, extractive_threshold=0.5
    )
    policy = RefusalPolicy(settings)
    evidence, question = _evidence(), "青禾县新建多少座书屋？"
    spans = [_span(evidence, 0, "18座")]
    generated = policy.run(question, asks(question), _hits(), evidence, Draft("generative", spans, "18座"))
    extracted = policy.run(question, asks(question), _hits(), evidence, Draft("extractive", spans, "18座"))
    assert generated.refuse is False and generated.confidence == pytest.approx(1 / (1 + math.exp(-2)))
    assert generated.reason == ""
    assert extracted.refuse and extracted.confidence == pytest.approx(1 / (1 + math.exp(2)))
    assert extracted.reason == f"confidence {extracted.confidence:.2f} < 0.50"
    certain = policy.run(question, asks(question), _hits(), [], Draft("generative", spans, "18座"))
    assert certain.refuse and certain.confidence == 0.0 and certain.reason == "nothing retrieved"


def test_confidence_exactly_at_the_threshold_is_accepted():
    settings = RefusalSettings(generative=(("bias", 0.0),), generative_threshold=0.5)
    evidence, question = _evidence(), "青禾县新建多少座书屋？"
    draft = Draft("generative", [_span(evidence, 0, "18座")], "18座")
    decision = RefusalPolicy(settings).run(question, asks(question), _hits(), evidence, draft)
    assert decision.confidence == 0.5 and not decision.refuse


def test_signals_without_evidence_or_spans():
    question = "书屋为什么要改造？"
    values = signals(question, asks(question), _hits(), [], Draft("extractive"))
    assert values["coverage"] == 0.0 and values["cited_coverage"] == 0.0 and values["cited_rank"] == 0
    assert values["kind_fit"] == 0.0  # no span: fits no kind, even for a why question
    listed = "青禾县建了哪些设施？"
    evidence = _evidence()
    two = Draft("generative", [_span(evidence, 0, "书屋"), _span(evidence, 0, "广场")], "书屋；广场")
    assert signals(listed, asks(listed), _hits(), evidence, two)["kind_fit"] == 1.0  # two parts make a list


def test_figures_the_question_names_are_not_invented():
    evidence = _evidence()
    question = "2041年青禾县新建几座书屋？"
    draft = Draft("generative", [_span(evidence, 0, "18座")], "2041年新建18座")
    assert certain_refusal(question, evidence, draft) == ""
