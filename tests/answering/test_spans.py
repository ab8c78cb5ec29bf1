"""Candidate spans and their features (qa/answering/spans.py), and the extractive reader
(qa/answering/extractive.py), on invented sentences."""

from qa.answering.evidence import Evidence
from qa.answering.extractive import ExtractiveReader, scored_candidates
from qa.answering.question import asks
from qa.answering.spans import FEATURES, candidate_features, candidates, distinctive_anchors
from qa.fitted import ExtractiveSettings

TARGETS = "全县生产总值增长6%以上,财政收入增长 7%,固定资产投资增长 10%以 上,城乡居民收入分别增长5%和6%。"


def _texts(sentence, question=""):
    return {sentence[c.start : c.end]: c.shape for c in candidates(sentence, question)}


def test_candidates_cover_the_shapes_answers_take():
    found = _texts(TARGETS)
    assert found["10%以 上"] == "number" and found["5%和6%"] == "pair"
    assert "发展新材料" in _texts("发展新材料等产业、冰雪旅游。")  # 等 before the second item: no crash
    lists = _texts("重点发展新材料、冰雪旅游、中药材等产业。")
    assert lists["新材料、冰雪旅游、中药材"] == "list"  # cut before 等
    assert _texts("打造“一村一品”“一镇一业”。")["“一村一品”"] == "quoted"
    clauses = _texts("通过延期还贷、减免租金,帮助企业渡过难关。")
    assert clauses["帮助企业渡过难关"] == "clause"
    assert "通过延期还贷、减免租金,帮助企业渡过难关" in clauses  # a run of clauses


def test_the_items_of_a_list_one_per_line_are_one_list_candidate():
    block = "（一）按月发放书屋管理补贴；\n（二）每年培训管理员一次；\n（三）为书屋配备图书。"
    assert _texts(block)[block.rstrip("。")] == "list"
    one_item = "（一）按月发放书屋管理补贴；另行规定培训事项。"
    assert _texts(one_item)[one_item.rstrip("。")] != "list"  # one item is no list


def test_the_rest_after_the_questions_words_never_starts_inside_a_figure():
    found = _texts("青禾县人民政府 2023年2月10日", "2023年要修地铁吗？")
    assert "2023年2月10日" in found and not any(text.startswith("年") for text in found)
    assert _texts("城区新建口袋公园15个", "口袋公园新建多少个？")["15个"] == "number"


def test_the_rest_never_starts_inside_the_stretch_the_question_repeats():
    # jieba splits the question's 报名期 as 报名/期 and the sentence's as 报名/期为: the rest
    # after 报名 would start with the 期 both share
    sentence = "夏令营报名期为6月1日至6月20日，活动期为7月。"
    found = _texts(sentence, "错过了夏令营报名期还能报吗？")
    assert "6月1日至6月20日" in found
    assert not any(text.startswith("期") for text in found)
    assert "共计发放补贴300元" in _texts("向困难家庭共计发放补贴300元", "困难家庭发了多少？")


def test_a_question_about_a_time_takes_the_time_not_another_figure():
    reader = ExtractiveReader(ExtractiveSettings())
    sentence = "新建青禾图书馆，设计藏书36万册，座位800个，计划10月开放。"
    evidence = [Evidence(0, "d", 0, len(sentence), sentence, "t", (), None, 1.0, 0.5)]
    for question in ("青禾图书馆什么时候开放？", "青禾图书馆几月开放？"):
        draft = reader.run(question, asks(question), evidence)
        assert draft.spans[0].text == "10月", question


def test_features_line_up_with_their_names():
    question = "固定资产投资增长多少？"
    sentence_asks = asks(question)
    for candidate in candidates(TARGETS, question):
        assert len(candidate_features(candidate, TARGETS, question, sentence_asks, 1.0, 0, 0.5)) == len(FEATURES)


def _feature(text, question, name):
    candidate = next(c for c in candidates(TARGETS, question) if TARGETS[c.start : c.end] == text)
    values = candidate_features(candidate, TARGETS, question, asks(question), 1.0, 0, 0.5)
    return dict(zip(FEATURES, values))[name]


def test_distinctive_anchors_and_clause_coverage_place_the_number():
    question = "固定资产投资增长多少？"
    anchors = [TARGETS[s:e] for s, e in distinctive_anchors(TARGETS, question)]
    assert "固定资产" in anchors and "增长" not in anchors  # 增长 stands four times
    assert _feature("10%以 上", question, "clause_coverage") > _feature("7%", question, "clause_coverage")
    assert _feature("10%以 上", question, "after_distinct") == 1.0
    assert _feature("7%", question, "after_distinct") == 0.0


def test_reader_picks_by_its_weights():
    sentence = Evidence(0, "doc", 0, len(TARGETS), TARGETS, "某县报告", (), None, 1.0, 0.6)
    reader = ExtractiveReader(ExtractiveSettings(weights=(("kind_number", 2.0), ("clause_coverage", 3.0))))
    draft = reader.run("固定资产投资增长多少？", asks("固定资产投资增长多少？"), [sentence])
    assert draft.text == "10%以 上" and 0 < draft.score <= 1
    assert draft.spans[0].start == TARGETS.index("10%以 上")
    assert ExtractiveReader(ExtractiveSettings()).run("问题", asks("问题"), []).spans == []
    assert scored_candidates("问题", asks("问题"), []) == []


def _features_of(sentence, question, text):
    candidate = next(c for c in candidates(sentence, question) if sentence[c.start : c.end] == text)
    return dict(zip(FEATURES, candidate_features(candidate, sentence, question, asks(question), 1.0, 0, 0.5)))


def test_kind_features_match_the_kind_asked():
    why = "通过延期还贷、减免租金,帮助企业渡过难关。"
    for question in ("为什么要延期还贷？", "怎样帮助企业渡过难关？", "能帮助企业渡过难关吗？", "这一年做了什么"):
        assert _features_of(why, question, "帮助企业渡过难关")["kind_clause"] == 1.0, question
    assert _features_of(why, "延期还贷多少？", "帮助企业渡过难关")["kind_clause"] == 0.0
    quoted = "全县打造“一村一品”示范村。"
    assert _features_of(quoted, "全县打造的示范村叫什么？", "“一村一品”")["kind_noun"] == 1.0
    assert _features_of(quoted, "全县打造了多少个示范村？", "“一村一品”")["kind_noun"] == 0.0


def test_first_number_after_the_question_words_and_whole_sentence():
    sentence = "全县新建图书馆37座,改造公路85公里。"
    assert _features_of(sentence, "全县新建图书馆多少座？", "37座")["first_number"] == 1.0
    assert _features_of(sentence, "全县新建图书馆多少座？", "85公里")["first_number"] == 0.0
    whole = _features_of(sentence, "全县新建图书馆多少座？", sentence.rstrip("。"))
    assert whole["whole_sentence"] == 1.0
    assert _features_of(sentence, "全县新建图书馆多少座？", "37座")["whole_sentence"] == 0.0


def test_ranges_and_alternatives_are_one_candidate():
    found = _texts("违者处一年以上三年以下有期徒刑；理事会每届任期两年或者四年。")
    assert found["一年以上三年以下"] == "pair" and found["两年或者四年"] == "pair"


def test_labels_are_never_candidates():
    rule = "第二十六条　用人单位应当在三十日内书面通知本人。"
    found = _texts(rule, "多少天内通知？")
    assert "二十六条" not in found and all(not t.startswith("第二十六条") for t in found)
    assert "用人单位应当在三十日内书面通知本人" in found and "三十日" in found
    assert "二批" not in _texts("入选第二批试点城市12个。", "入选多少个？")  # an ordinal, not an amount
    assert "二批" in _texts("入选第二批试点城市12个。", "入选第几批？")


def test_etc_closes_a_list_only_as_a_word_of_its_own():
    found = _texts("全县评出一等奖、二等奖各10名。")
    assert "全县评出一" not in found and any(t.endswith("一等奖、二等奖各10名") for t in found)
    assert "坚持男女平" not in _texts("坚持男女平等、城乡统筹、区域协调。")
    assert _texts("重点发展新材料、冰雪旅游、中药材等产业。")["新材料、冰雪旅游、中药材"] == "list"


def test_no_candidate_leaves_a_quote_mark_open():
    found = _texts("由县文旅局负责“书香青禾”项目。", "书香青禾项目由谁负责？")
    assert not any(t.startswith(("”", "’")) or t.endswith(("“", "‘")) for t in found)
