"""What each span feature (qa/answering/spans.py, FEATURE_SIGNS) measures, one contract per feature,
looked up by name so that the order of FEATURES may change. Also what every candidate span is.
Invented sentences about a fictional county (青禾县)."""

import math

import pytest

from qa.answering.question import asks
from qa.answering.spans import FEATURES, candidate_features, candidates
from qa.figures import number_spans

PLAN = "青禾县新建乡村书屋18座，改造文化广场3个，由县文旅局负责第九条规定的借阅服务。"
PLAN_Q = "青禾县新建多少座乡村书屋？"
REASONS = "为方便群众，延长开放时间，增加图书品种，开设夜间阅览，组织读书活动，青禾县改造书屋。"


def _features(sentence, question, text, shape=None, score=0.7, rank=2, coverage=0.4, period=-1.0):
    found = [
        c
        for c in candidates(sentence, question)
        if sentence[c.start : c.end] == text and (shape is None or c.shape == shape)
    ]
    assert found, (text, [sentence[c.start : c.end] for c in candidates(sentence, question)])
    values = candidate_features(found[0], sentence, question, asks(question), score, rank, coverage, period)
    assert len(values) == len(FEATURES)
    return dict(zip(FEATURES, values))


def test_the_reader_given_signals_pass_through_unchanged():
    f = _features(PLAN, PLAN_Q, "18座", score=0.7, rank=2, coverage=0.4, period=-1.0)
    assert (f["sentence_score"], f["sentence_rank"], f["coverage"], f["period"]) == (0.7, 2.0, 0.4, -1.0)
    g = _features(PLAN, PLAN_Q, "18座", score=0.1, rank=0, coverage=0.9, period=1.0)
    assert (g["sentence_score"], g["sentence_rank"], g["coverage"], g["period"]) == (0.1, 0.0, 0.9, 1.0)


def test_the_figure_right_after_the_question_words_is_the_first_number_and_fits_the_unit():
    first = _features(PLAN, PLAN_Q, "18座")
    assert first["kind_number"] == first["unit_match"] == first["first_number"] == 1.0
    assert first["after_anchor"] == first["after_distinct"] == 1.0 and first["before_anchor"] == 0.0
    assert first["near"] == first["near_distinct"] == 1.0  # 书屋 ends where 18座 starts
    assert first["answer_clause"] == 1.0 and first["clause_coverage"] == 1.0
    later = _features(PLAN, PLAN_Q, "3个")
    assert later["kind_number"] == 1.0 and later["unit_match"] == later["first_number"] == 0.0
    assert later["after_anchor"] == later["after_distinct"] == 0.0
    assert later["near"] == later["near_distinct"] == pytest.approx(math.exp(-10 / 8))  # ten after 书屋
    assert later["answer_clause"] == later["clause_coverage"] == 0.0


def test_novelty_and_restating_split_the_candidate_by_what_the_question_already_says():
    f = _features(PLAN, PLAN_Q, "18座")  # 座 is in the question, 1 and 8 are not
    assert f["restates"] == pytest.approx(1 / 3) and f["novelty"] == pytest.approx(2 / 3)
    g = _features(PLAN, PLAN_Q, "3个")
    assert g["restates"] == 0.0 and g["novelty"] == 1.0
    assert f["length"] == pytest.approx(math.log1p(3)) and g["length"] == pytest.approx(math.log1p(2))


def test_distance_counts_to_a_question_word_after_the_candidate_too():
    sentence, question = "18座新的乡村书屋在青禾县建成。", "青禾县乡村书屋建了多少座？"
    f = _features(sentence, question, "18座")
    assert f["near"] == f["near_distinct"] == pytest.approx(math.exp(-2 / 8))  # 乡村 two after
    assert f["before_anchor"] == 1.0 and f["after_anchor"] == f["after_distinct"] == 0.0
    assert f["first_number"] == 0.0  # no question word before it
    assert f["clause_coverage"] == pytest.approx(0.75)  # 青禾, 乡村, 书屋 of 青禾, 乡村, 书屋, 建了


def test_after_anchor_reaches_three_characters_and_no_further():
    three = _features("书屋建成共计为18座。", "书屋建成多少座？", "18座")
    four = _features("书屋建成总共计为18座。", "书屋建成多少座？", "18座")
    assert three["after_anchor"] == three["after_distinct"] == 1.0
    assert four["after_anchor"] == four["after_distinct"] == 0.0
    assert three["near"] == pytest.approx(math.exp(-3 / 8)) and four["near"] == pytest.approx(math.exp(-4 / 8))


def test_a_question_word_opening_the_candidates_clause_makes_it_the_answer_clause():
    f = _features("全县新建广场3个，书屋共18座。", "书屋有多少座？", "18座")
    assert f["answer_clause"] == 1.0
    g = _features("全县新建广场3个，书屋共18座。", "书屋有多少座？", "3个")
    assert g["answer_clause"] == 0.0


def test_clause_counts_whole_sentences_and_references():
    whole = _features(PLAN, PLAN_Q, "青禾县新建乡村书屋18座，改造文化广场3个，由县文旅局负责第九条规定的借阅服务")
    assert whole["clauses"] == 3.0 and whole["whole_sentence"] == 1.0 and whole["reference"] == 1.0
    assert whole["near"] == pytest.approx(math.exp(-60 / 8))  # every question word is inside it
    assert whole["near_distinct"] == pytest.approx(math.exp(-60 / 8))
    two = _features(PLAN, PLAN_Q, "青禾县新建乡村书屋18座，改造文化广场3个")
    assert two["clauses"] == 2.0 and two["whole_sentence"] == 0.0 and two["reference"] == 0.0
    assert _features(PLAN, PLAN_Q, "18座")["clauses"] == 0.0


def test_kind_features_follow_the_kind_asked():
    reasons = _features(REASONS, "青禾县为什么改造书屋？", REASONS.rstrip("。"), shape="sentence")
    assert reasons["kind_clause"] == 1.0 and reasons["clauses"] == 6.0 and reasons["whole_sentence"] == 1.0
    assert reasons["kind_number"] == reasons["kind_list"] == reasons["kind_noun"] == 0.0
    noun = _features(PLAN, "青禾县改造了什么？", "文化广场")
    assert noun["kind_noun"] == 1.0 and noun["kind_clause"] == 0.0 and noun["kind_number"] == 0.0
    years = _features("书屋分别在2039年和2041年建成。", "青禾县哪两年建了书屋？", "2039年和2041年")
    assert years["kind_list"] == 1.0 and years["pair"] == 1.0 and years["kind_number"] == 0.0
    single = _features("书屋分别在2039年和2041年建成。", "青禾县哪两年建了书屋？", "2039年")
    assert single["kind_list"] == 0.0 and single["pair"] == 0.0
    quoted = _features("全县打造“书香青禾”品牌。", "全县打造了哪些品牌？", "“书香青禾”")
    assert quoted["kind_list"] == 1.0


def test_a_person_question_favours_a_span_that_names_someone():
    f = _features("书屋由李建国负责管理。", "书屋由谁管理？", "书屋由李建国负责管理")
    assert f["kind_person"] == 1.0
    g = _features("书屋由县文旅局负责管理。", "书屋由谁管理？", "书屋由县文旅局负责管理")
    assert g["kind_person"] == 0.0
    assert _features("书屋由李建国负责管理。", "书屋建了几座？", "书屋由李建国负责管理")["kind_person"] == 0.0


def test_head_match_needs_the_head_the_question_names():
    assert asks("青禾县改造了什么广场？").head == "广场"
    assert _features(PLAN, "青禾县改造了什么广场？", "改造文化广场3个")["head_match"] == 1.0
    assert _features(PLAN, "青禾县改造了什么广场？", "3个")["head_match"] == 0.0
    assert _features(PLAN, PLAN_Q, "18座")["head_match"] == 0.0  # the question names no head


def test_a_span_cut_through_a_phrase_is_dangling():
    assert _features(PLAN, "县文旅局负责什么？", "县文旅局负责第九条规定的借阅服务")["dangling"] == 0.0
    sentence = "书屋的管理和"
    dangling = [c for c in candidates(sentence, "书屋") if sentence[c.start : c.end].endswith(("的", "和"))]
    assert dangling
    for c in dangling:
        values = dict(zip(FEATURES, candidate_features(c, sentence, "书屋", asks("书屋"), 1.0, 0, 0.5)))
        assert values["dangling"] == 1.0


def test_a_span_right_before_a_colon_announces_and_is_dangling():
    notice = "书屋每周开放六天，借书需提交以下材料：读者证、身份证。"
    question = "借书要带什么？"
    assert _features(notice, question, "材料")["dangling"] == 1.0
    assert _features(notice, question, "读者证、身份证")["dangling"] == 0.0
    intro = "借书需提交以下材料："  # a sentence that introduces items on the lines after it
    assert _features(intro, question, "借书需提交以下材料")["dangling"] == 1.0
    assert _features(notice, question, "书屋每周开放六天")["dangling"] == 0.0  # a clause before it states
    assert _features("咨询电话 ：96000。", "电话多少？", "咨询电话")["dangling"] == 1.0
    assert (
        _features("今年的任务有三项：修路、建桥、通水。", "任务有几项？", "三项")["dangling"] == 0.0
    )  # a figure states


SENTENCES = [
    PLAN,
    REASONS,
    "  同时在青禾县新建乡村书屋18座至20座,并且改造文化广场、健身步道及停车场等设施,由县文旅局负责“书香青禾”项目。",
    "第九条　书屋管理单位不得向读者收取借阅费用；确需收费的，应当报县文旅局批准。",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_every_candidate_is_a_trimmed_unique_slice_of_its_sentence(sentence):
    found = candidates(sentence, PLAN_Q)
    spans = [(c.start, c.end) for c in found]
    assert len(spans) == len(set(spans))
    for c in found:
        text = sentence[c.start : c.end]
        assert 0 <= c.start < c.end <= len(sentence) and text == text.strip(" \t\u3000，,。；;：:、"), text
        assert c.shape in ("number", "pair", "list", "quoted", "noun", "clause", "clauses", "rest", "sentence")
        assert not text.startswith(("并且", "同时", "其中", "以及")), text
    figures = {(s, e) for s, e in number_spans(sentence) if sentence[s - 1 : s] != "第"}  # not ordinals
    assert figures <= {(c.start, c.end) for c in found if c.shape == "number"}
    end = len(sentence.rstrip("。"))
    assert any(c.start <= 5 and c.end == end for c in found)  # the whole sentence, leading filler aside


def test_candidate_shapes_of_one_sentence():
    sentence = SENTENCES[2]
    shapes = {sentence[c.start : c.end]: c.shape for c in candidates(sentence, PLAN_Q)}
    assert shapes["18座至20座"] == "number" and "18座" not in shapes  # a range is one figure
    assert shapes["改造文化广场、健身步道及停车场"] == "list"  # cut before 等
    assert shapes["“书香青禾”"] == "quoted" and shapes["县文旅局"] == "noun"
    assert shapes["青禾县新建乡村书屋18座至20座"] == "clause"  # filler words 同时在 trimmed
    assert shapes["改造文化广场、健身步道及停车场等设施"] == "clause"  # 并且 trimmed
    assert shapes["设施"] == "noun"  # a noun of two characters is enough
    assert shapes["青禾县新建乡村书屋18座至20座,并且改造文化广场、健身步道及停车场等设施"] == "clauses"


def _shapes(sentence, question=""):
    return {sentence[c.start : c.end]: c.shape for c in candidates(sentence, question)}


def test_runs_of_clauses_hold_two_to_four_clauses():
    runs = [text for text, shape in _shapes(REASONS, "青禾县为什么改造书屋？").items() if shape == "clauses"]
    assert sorted(text.count("，") + 1 for text in runs) == [2] * 5 + [3] * 4 + [4] * 3
    assert _shapes(REASONS)[REASONS.rstrip("。")] == "sentence"  # six clauses: only as the sentence


def test_the_rest_of_a_clause_after_the_question_words_is_a_candidate():
    shapes = _shapes("书屋由县文旅局负责全县书屋的借阅服务。", "县文旅局负责什么？")
    assert shapes["全县书屋的借阅服务"] == "rest"


def test_lists_are_cut_at_the_first_deng_and_lose_the_words_before_their_first_item():
    shapes = _shapes("新建书屋、文化广场等设施、健身步道等场地。")
    assert shapes["新建书屋、文化广场"] == "list"
    assert "新建书屋、文化广场等设施、健身步道" not in shapes
    plain = _shapes("全县建成健身步道、篮球场和游泳池。")
    assert plain["全县建成健身步道、篮球场和游泳池"] == "list"  # no 等: the whole enumeration
    two = _shapes("重点发展冰雪旅游、中药材等产业。")
    assert two["冰雪旅游、中药材"] == "list"  # the first item's last word is as long as the others
    three = _shapes("重点发展冰雪旅游、新材料、中药材等产业。")
    assert three["冰雪旅游、新材料、中药材"] == "list"


def test_a_single_character_figure_is_a_candidate():
    assert _shapes("书屋共3，广场共5。")["3"] == "number"


def test_position_features_at_distance_zero_and_three():
    right_after = _features("全县书屋18座。", "书屋有多少座？", "18座")  # 书屋 ends where 18座 starts
    assert right_after["after_anchor"] == right_after["after_distinct"] == right_after["first_number"] == 1.0
    assert right_after["near"] == right_after["near_distinct"] == 1.0
    right_before = _features("18座书屋在全县。", "书屋有多少座？", "18座")  # 书屋 starts where 18座 ends
    assert right_before["before_anchor"] == 1.0 and right_before["near"] == right_before["near_distinct"] == 1.0
    three = _features("18座新建的书屋。", "书屋有多少座？", "18座")
    assert three["before_anchor"] == 1.0 and three["near"] == pytest.approx(math.exp(-3 / 8))
    four = _features("18座新建成的书屋。", "书屋有多少座？", "18座")
    assert four["before_anchor"] == 0.0 and four["near"] == pytest.approx(math.exp(-4 / 8))


def test_more_kinds_against_the_kind_asked():
    pair = _features("书屋分别在2039年和2041年建成。", "书屋分别在哪年和哪年建成，各多少？", "2039年和2041年")
    assert asks("书屋分别在哪年和哪年建成，各多少？").kind == "number"
    assert pair["kind_number"] == 1.0 and pair["pair"] == 1.0
    listed = _features("全县建成健身步道、篮球场和游泳池。", "全县建成了哪些设施？", "全县建成健身步道、篮球场和游泳池")
    assert listed["kind_list"] == 1.0
    person = _features(PLAN, "书屋由谁负责？", "文化广场")
    assert person["kind_noun"] == 1.0
    named = _features(PLAN, "县文旅局负责的叫什么？", "青禾县新建乡村书屋18座，改造文化广场3个")
    assert asks("县文旅局负责的叫什么？").kind == "text" and named["kind_clause"] == 1.0 and named["clauses"] == 2.0
    rest = _features("书屋由县文旅局负责全县书屋的借阅服务。", "县文旅局负责什么？", "全县书屋的借阅服务", shape="rest")
    assert rest["kind_clause"] == 1.0


def test_a_one_character_candidate_and_the_period_left_out():
    sentence, question = "书屋共3，广场共5。", "3号书屋在哪？"
    (three,) = [c for c in candidates(sentence, question) if sentence[c.start : c.end] == "3"]
    values = dict(zip(FEATURES, candidate_features(three, sentence, question, asks(question), 1.0, 0, 0.5)))
    assert values["restates"] == 1.0 and values["novelty"] == 0.0 and values["period"] == 0.0


def test_head_match_by_the_heads_last_character():
    question = "青禾县新建了什么图书馆？"
    assert asks(question).head == "图书馆"
    assert _features("青禾县新建文化馆2座。", question, "文化馆")["head_match"] == 1.0  # a kind of 馆
    assert _features("青禾县新建文化馆2座。", question, "2座")["head_match"] == 0.0


def test_noun_candidates_leave_out_the_words_the_question_already_says():
    assert "乡村书屋" not in _shapes(PLAN, PLAN_Q)
    assert _shapes(PLAN, "县文旅局负责什么？")["青禾县新建乡村书屋"] == "noun"
