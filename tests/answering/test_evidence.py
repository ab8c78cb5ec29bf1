"""Which sentences the readers see (qa/answering/evidence.py), on invented passages."""

from dataclasses import replace

import numpy as np

from qa.answering.evidence import EvidenceSelector, coverage
from qa.index.lexical import tokenize
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit
from qa.settings import EvidenceSettings

PASSAGES = [
    "全县新建乡村图书馆37座。全县改造农村公路85公里。全县新增托育位置1200个。全县建成社区食堂40家。",
    "县城新建口袋公园12个。县城更新公交车60辆。",
    "2029年，全县新建乡村图书馆20座。",
]


def _hits(periods=(None, None, None)):
    return [
        Hit(Chunk(f"d#{n}", "d", n, 0, len(t), t, ("二、重点工作",), periods[n], "body", "某县计划"), 1.0 - n / 10)
        for n, t in enumerate(PASSAGES)
    ]


def test_at_most_max_sentences_best_first():
    settings = EvidenceSettings()
    chosen = EvidenceSelector(settings).run("全县新建多少座乡村图书馆？", _hits())
    assert len(chosen) == settings.max_sentences
    assert chosen[0].text == "全县新建乡村图书馆37座。"
    assert [e.score for e in chosen] == sorted((e.score for e in chosen), reverse=True)
    one = EvidenceSelector(replace(settings, max_sentences=1)).run("全县新建多少座乡村图书馆？", _hits())
    assert [e.text for e in one] == ["全县新建乡村图书馆37座。"]


def test_character_budget_stops_after_the_first_sentence():
    chosen = EvidenceSelector(replace(EvidenceSettings(), max_chars=15)).run("全县新建多少座乡村图书馆？", _hits())
    assert [e.text for e in chosen] == ["全县新建乡村图书馆37座。"]


def test_each_leading_passage_keeps_its_best_sentence():
    settings = replace(EvidenceSettings(), per_hit_leaders=2, max_sentences=2)
    chosen = EvidenceSelector(settings).run("全县新建多少座乡村图书馆？", _hits())
    assert {e.hit for e in chosen} == {0, 1}  # passage 1's best sentence is kept although weaker
    plain = EvidenceSelector(replace(settings, per_hit_leaders=0)).run("全县新建多少座乡村图书馆？", _hits())
    assert {e.hit for e in plain} != {0, 1}


def test_sentences_about_another_period_are_dropped_when_the_asked_one_is_there():
    chosen = EvidenceSelector(EvidenceSettings()).run(
        "2030年全县新建多少座乡村图书馆？", _hits(("2030年", None, "2029年"))
    )
    assert all(e.period != "2029年" for e in chosen)


def _five_years_and_the_last(passages, scores=(1.0, 1.0)):
    """Two passages of two documents: a five-year review's, and one about its last year alone."""
    return [
        Hit(Chunk(f"d{n}#0", f"d{n}", 0, 0, len(t), t, ("回顾",), period, "body", "某县报告"), score)
        for n, (t, period, score) in enumerate(zip(passages, ["2026—2030年", "2030年"], scores))
    ]


def test_a_longer_period_holding_the_asked_year_gives_way_to_that_years_own_sentences():
    five_years = "这五年，全县财政收入年均增长8%。2026—2030年，全县税收年均增长9%。2030年，全县新建乡村图书馆9座。"
    hits = _five_years_and_the_last([five_years, "全年全县财政收入增长12%，税收增长10%。"])
    chosen = [e.text for e in EvidenceSelector(EvidenceSettings()).run("2030年全县财政收入和税收各增长多少？", hits)]
    assert chosen[0] == "全年全县财政收入增长12%，税收增长10%。"
    # the five-year averages are not 2030's figures, and a range does not name 2030 as a year
    assert not any("年均" in text for text in chosen)
    # a sentence of the review that names the year itself stays, even ranked below the year's own
    hits = _five_years_and_the_last([five_years, "全年全县新建乡村图书馆的工作顺利。"], scores=(0.2, 1.0))
    chosen = [e.text for e in EvidenceSelector(EvidenceSettings()).run("2030年全县新建多少座乡村图书馆？", hits)]
    assert "2030年，全县新建乡村图书馆9座。" in chosen


def test_a_longer_period_stays_when_it_bears_on_the_question_more_than_the_years_own_text():
    hits = _five_years_and_the_last(["这五年，全县森林覆盖率达到46%。", "全年新建乡村图书馆9座。"])
    chosen = [e.text for e in EvidenceSelector(EvidenceSettings()).run("截至2030年全县森林覆盖率是多少？", hits)]
    assert chosen[0] == "这五年，全县森林覆盖率达到46%。"  # a state at the period's end


class _Encoder:
    """Sentence vectors that point at the question only for sentences about 公交车."""

    def encode_passages(self, texts):
        return np.array([[1.0, 0.0] if "公交车" in t else [0.0, 1.0] for t in texts])


def test_embedding_similarity_lifts_a_paraphrase():
    question = "县里买了多少台新巴士？"  # shares no word with the sentence that answers it
    selector = EvidenceSelector(replace(EvidenceSettings(), max_sentences=1), encoder=_Encoder())
    with_vector = selector.run(question, _hits(), np.array([1.0, 0.0]))
    assert with_vector[0].text == "县城更新公交车60辆。"
    without = selector.run(question, _hits())
    assert without[0].text != "县城更新公交车60辆。"
    assert with_vector[0].similarity == 1.0 and all(e.similarity is None for e in without)  # not measured


class _CountingEncoder(_Encoder):
    def __init__(self):
        self.encoded = []

    def encode_passages(self, texts):
        self.encoded += texts
        return super().encode_passages(texts)


def test_sentence_vectors_are_encoded_once_and_the_cache_is_bounded():
    encoder = _CountingEncoder()
    selector = EvidenceSelector(replace(EvidenceSettings(), vector_cache=4), encoder=encoder)
    first = selector.run("县里买了多少台新巴士？", _hits(), np.array([1.0, 0.0]))
    seen = len(encoder.encoded)
    assert seen == len(set(encoder.encoded)) > 4  # every sentence once
    again = selector.run("县里买了多少台新巴士？", _hits(), np.array([1.0, 0.0]))
    assert [e.text for e in again] == [e.text for e in first]
    assert len(encoder.encoded) == seen + (seen - 4)  # only the sentences that fell out of the 4 kept
    assert len(selector._vectors) == 4


def test_a_clause_after_a_semicolon_is_read_with_the_clauses_it_continues():
    text = "在乡镇卫生院看病的，挂号费减免50%；县医院减免30%；市医院减免10%。\n药费另计；见附表。"
    hits = [Hit(Chunk("d#0", "d", 0, 0, len(text), text, ("三、看病补助",), None, "body", "某县通知"), 1.0)]
    chosen = {e.text: e for e in EvidenceSelector(EvidenceSettings()).run("去市医院挂号费减免多少？", hits)}
    assert chosen["市医院减免10%。"].lead == "在乡镇卫生院看病的，挂号费减免50%；县医院减免30%；"
    # 挂号费 is said once, in the first clause, and the later ones are about it too
    tokens = tokenize("去市医院挂号费减免多少？")
    assert chosen["市医院减免10%。"].coverage > coverage(tokens, "三、看病补助市医院减免10%。")
    every = {e.text: e.lead for e in EvidenceSelector(EvidenceSettings()).sentences(hits)}
    assert every["药费另计；"] == ""  # a new line starts afresh
    assert every["见附表。"] == "药费另计；"


def test_a_question_in_the_text_is_never_evidence():
    text = "水费多少钱一吨？居民用水每吨3.2元。"
    hits = [Hit(Chunk("d#0", "d", 0, 0, len(text), text, ("二、收费",), None, "body", "某县问答"), 1.0)]
    assert [e.text for e in EvidenceSelector(EvidenceSettings()).sentences(hits)] == ["居民用水每吨3.2元。"]


ITEMS = (
    "第九条　申请摊位补贴，应当提交下列材料：\n（一）营业执照复印件；\n（二）摊位租赁合同；\n（三）近三个月的流水。\n"
    "补贴按季度发放。"
)


def _items_hits(text=ITEMS):
    return [Hit(Chunk("d#0", "d", 0, 0, len(text), text, ("第九条",), None, "body", "某县摊位补贴办法"), 1.0)]


def test_the_items_a_sentence_introduces_are_one_piece_of_evidence():
    every = {e.text: e for e in EvidenceSelector(EvidenceSettings()).sentences(_items_hits())}
    block = "（一）营业执照复印件；\n（二）摊位租赁合同；\n（三）近三个月的流水。"
    assert set(every) == {"第九条　申请摊位补贴，应当提交下列材料：", block, "补贴按季度发放。"}
    assert every[block].lead == "第九条　申请摊位补贴，应当提交下列材料："  # its words count for the items
    assert ITEMS[every[block].start : every[block].end] == block
    chosen = EvidenceSelector(EvidenceSettings()).run("申请摊位补贴要交哪些材料？", _items_hits())
    assert block in [e.text for e in chosen]


def test_items_stay_apart_without_a_sentence_that_introduces_them_or_beyond_the_budget():
    plain = "摊位补贴按季度发放。\n（一）营业执照复印件；\n（二）摊位租赁合同；"
    texts = [e.text for e in EvidenceSelector(EvidenceSettings()).sentences(_items_hits(plain))]
    assert texts == ["摊位补贴按季度发放。", "（一）营业执照复印件；", "（二）摊位租赁合同；"]
    short = EvidenceSelector(replace(EvidenceSettings(), max_chars=20)).sentences(_items_hits())
    assert "（一）营业执照复印件；" in [e.text for e in short]
    one = "应当提交下列材料：\n（一）营业执照复印件。\n补贴按季度发放。"  # one item is no list
    alone = EvidenceSelector(EvidenceSettings()).sentences(_items_hits(one))
    assert "（一）营业执照复印件。" in [e.text for e in alone]
