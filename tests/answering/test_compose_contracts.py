"""What compose (qa/answering/compose.py) promises: citations in document order pointing at their
passages, one reply sentence built from the source's clauses with the right lead, and a refusal
that quotes a bounded question. Invented text about a fictional county."""

from qa.answering.compose import MAX_REPLY_CLAUSE, compose, refusal_reply, reply_sentence
from qa.answering.evidence import Evidence
from qa.answering.grounding import Span
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit

FIRST = "青禾县新建乡村书屋18座。"
SECOND = "青禾县改造文化广场3个。"


def _two_passages(period=None):
    """Two passages of one document; the evidence lists the later sentence first."""
    chunks = [
        Chunk("qinghe#0", "qinghe", 0, 10, 10 + len(FIRST), FIRST, ("二、民生",), period, "body", "青禾县报告"),
        Chunk("qinghe#1", "qinghe", 1, 40, 40 + len(SECOND), SECOND, ("三、文化",), period, "body", "青禾县报告"),
    ]
    hits = [Hit(chunks[1], 0.9), Hit(chunks[0], 0.8)]
    evidence = [
        Evidence(0, "qinghe", 40, 40 + len(SECOND), SECOND, "青禾县报告", ("三、文化",), period, 2.0, 1.0),
        Evidence(1, "qinghe", 10, 10 + len(FIRST), FIRST, "青禾县报告", ("二、民生",), period, 1.0, 1.0),
    ]
    return hits, evidence


def _span(evidence, index, text, exact=True):
    e = evidence[index]
    start = e.start + e.text.index(text)
    return Span(index, start, start + len(text), text, exact)


def test_citations_follow_the_document_and_name_their_passage():
    hits, evidence = _two_passages()
    spans = [_span(evidence, 0, "3个"), _span(evidence, 1, "18座")]
    answer, reply, citations, answer_spans = compose("书屋和广场各建几个？", spans, hits, evidence)
    assert answer == "18座；3个"
    assert [(c.source, c.doc, c.text, c.section) for c in citations] == [
        (1, "qinghe", FIRST, "二、民生"),
        (0, "qinghe", SECOND, "三、文化"),
    ]
    assert [(c.source, c.doc, c.text, c.start) for c in answer_spans] == [
        (1, "qinghe", "18座", 10 + FIRST.index("18座")),
        (0, "qinghe", "3个", 40 + SECOND.index("3个")),
    ]
    assert reply == "青禾县新建乡村书屋18座；青禾县改造文化广场3个。"


def test_a_reply_states_each_source_sentence_once():
    text = "青禾县新建乡村书屋18座，改造文化广场3个，新增养老床位260张。"
    evidence = [Evidence(0, "qinghe", 0, len(text), text, "青禾县报告", (), None, 1.0, 1.0)]
    spans = [_span(evidence, 0, "18座"), _span(evidence, 0, "260张")]
    assert (
        reply_sentence("书屋和床位各多少？", spans, evidence)
        == "青禾县新建乡村书屋18座，改造文化广场3个，新增养老床位260张。"
    )


def test_a_long_sentence_is_cut_to_the_clauses_that_hold_the_answer():
    padding = "，".join(f"第{n}项工作稳步推进" for n in range(1, 9))
    text = f"{padding}，青禾县新建乡村书屋18座，{padding}。"
    assert len(text) > MAX_REPLY_CLAUSE
    evidence = [Evidence(0, "qinghe", 0, len(text), text, "青禾县报告", (), None, 1.0, 1.0)]
    assert reply_sentence("建了几座书屋？", [_span(evidence, 0, "18座")], evidence) == "青禾县新建乡村书屋18座。"
    exact = "青禾县新建乡村书屋18座，" + "甲" * (MAX_REPLY_CLAUSE - 14) + "。"
    assert len(exact) == MAX_REPLY_CLAUSE
    evidence = [Evidence(0, "qinghe", 0, len(exact), exact, "青禾县报告", (), None, 1.0, 1.0)]
    assert reply_sentence("建了几座书屋？", [_span(evidence, 0, "18座")], evidence) == exact  # short enough: whole


def test_the_period_leads_only_when_the_question_names_one_and_the_sentence_does_not():
    hits, evidence = _two_passages(period="2041年")
    span = [_span(evidence, 1, "18座")]
    assert reply_sentence("2041年建了几座书屋？", span, evidence) == "2041年，青禾县新建乡村书屋18座。"
    assert reply_sentence("建了几座书屋？", span, evidence) == "青禾县新建乡村书屋18座。"
    dated = "2041年青禾县新建乡村书屋18座。"
    own = [Evidence(0, "qinghe", 0, len(dated), dated, "青禾县报告", (), "2041年", 1.0, 1.0)]
    assert reply_sentence("2041年建了几座书屋？", [_span(own, 0, "18座")], own) == dated
    _, undated = _two_passages(period=None)
    assert reply_sentence("2041年建了几座书屋？", [_span(undated, 1, "18座")], undated) == FIRST


def test_a_refusal_quotes_at_most_forty_characters_of_the_question():
    forty = "青" * 40
    assert refusal_reply(forty + "？") == f"文件中没有找到“{forty}”的答案。下面是最相关的内容，供参考。"
    long = "禾" * 41
    assert refusal_reply(long).startswith(f"文件中没有找到“{'禾' * 40}……”的答案。")
