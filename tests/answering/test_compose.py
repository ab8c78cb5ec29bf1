"""What the citizen reads (qa/answering/compose.py): answer, reply sentence, citations. Invented text."""

from qa.answering.compose import compose, refusal_reply
from qa.answering.evidence import Evidence
from qa.answering.grounding import Span
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit
from qa.text import short_title

REPORT = "2030年全县新建乡村图书馆 37 座,改造农村公路 85 公里,新增托育位置 1200 个以上,建成社区食堂 40 家。"
LAW = "第十二条　物业服务企业不得以停水、停电等方式催交物业费。"


def _setup(text, title, section, period):
    chunk = Chunk("d#0", "doc", 0, 50, 50 + len(text), text, section, period, "body", title)
    evidence = [Evidence(0, "doc", 50, 50 + len(text), text, title, section, period, 1.0, 1.0)]
    return [Hit(chunk, 1.0)], evidence


def _span(evidence, text):
    start = evidence[0].text.find(text)
    return Span(0, evidence[0].start + start, evidence[0].start + start + len(text), text, True)


def test_reply_is_the_source_clause_and_the_answer_an_exact_span():
    hits, evidence = _setup(REPORT * 2, "某县政府工作报告(2030年1月5日)", ("二、重点工作",), "2030年")
    answer, reply, citations, spans = compose(
        "2030年改造多少公里农村公路？", [_span(evidence, "85 公里")], hits, evidence
    )
    assert answer == "85 公里" and reply == "2030年，改造农村公路85公里。"
    assert spans[0].text == "85 公里" and spans[0].start == 50 + REPORT.find("85 公里")
    assert citations[0].text == REPORT * 2 and citations[0].title.startswith("某县")


def test_period_leads_a_reply_that_does_not_name_it():
    text = "全县改造农村公路 85 公里。"
    hits, evidence = _setup(text, "某县报告", ("二、重点工作",), "2030年")
    _, reply, _, _ = compose("2030年改造多少公里农村公路？", [_span(evidence, "85 公里")], hits, evidence)
    assert reply == "2030年，全县改造农村公路85公里。"


def test_law_reply_names_the_law_and_article():
    hits, evidence = _setup(LAW, "某市物业管理条例（节选）", ("第十二条",), None)
    answer, reply, citations, _ = compose(
        "物业能停水催费吗？", [_span(evidence, "不得以停水、停电等方式催交物业费")], hits, evidence
    )
    assert reply == "根据《某市物业管理条例》第十二条，物业服务企业不得以停水、停电等方式催交物业费。"
    assert citations[0].section == "第十二条"


def test_several_parts_in_source_order():
    hits, evidence = _setup(REPORT, "某县报告", (), None)
    parts = [_span(evidence, "40 家"), _span(evidence, "37 座")]
    answer, _, _, spans = compose("图书馆和食堂各建多少？", parts, hits, evidence)
    assert answer == "37 座；40 家" and [s.text for s in spans] == ["37 座", "40 家"]


def test_titles_and_refusals():
    assert short_title("某市物业管理条例（节选）") == "某市物业管理条例"
    assert short_title("某县报告(2030年1月5日 张三)") == "某县报告"
    assert refusal_reply("全县地铁有多长？").startswith("文件中没有找到“全县地铁有多长")


def test_a_table_row_is_read_with_its_column_names():
    row, header = "三级医院 | 800元 | 60%", "医院级别 | 起付标准 | 报销比例"
    hits, evidence = _setup(row, "某县医保待遇", (header,), None)
    answer, reply, _, _ = compose("三级医院起付标准多少？", [_span(evidence, "800元")], hits, evidence)
    assert answer == "800元" and reply == "医院级别：三级医院，起付标准：800元，报销比例：60%。"
    # a header of another shape, or none, leaves the row as it is
    hits, evidence = _setup(row, "某县医保待遇", ("医院级别 | 起付标准",), None)
    assert compose("三级医院起付标准多少？", [_span(evidence, "800元")], hits, evidence)[1] == "三级医院|800元|60%。"
