"""The refusal policy (qa/answering/refusal.py): certain refusals, signals, the fitted decision.

Invented passages; the weights here are written for the test, not the fitted ones.
"""

from qa.answering.evidence import Evidence
from qa.answering.grounding import Span
from qa.answering.question import asks
from qa.answering.refusal import FEATURES, RefusalPolicy, certain_refusal, kind_fit, question_missing, signals
from qa.answering.types import Draft
from qa.fitted import RefusalSettings
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit

TEXT = "全县新建乡村图书馆 37 座，改造农村公路 85 公里。"


def _evidence(period=None):
    return [Evidence(0, "doc", 0, len(TEXT), TEXT, "某县报告", ("二、重点工作",), period, 1.0, 0.8)]


def _hits():
    return [Hit(Chunk("d#0", "doc", 0, 0, len(TEXT), TEXT, ("二、重点工作",), None, "body", "某县报告"), 1.0, 0.85)]


def _draft(text, **fields):
    start = TEXT.find(text)
    spans = [Span(0, start, start + len(text), text, True)] if start >= 0 else []
    return Draft(fields.pop("reader", "generative"), spans, text, **fields)


def test_certain_refusals():
    question = "全县PM10浓度降到多少？"
    assert certain_refusal(question, [], _draft("37 座")) == "nothing retrieved"
    assert "found no answer" in certain_refusal(question, _evidence(), Draft("generative", not_found=True))
    assert "no evidence states" in certain_refusal(question, _evidence(), Draft("generative", text="42座"))
    fragment = Draft("generative", [Span(0, 0, 2, "10", True)], "10")
    assert certain_refusal(question, _evidence(), fragment) == "the answer only repeats the question"
    assert certain_refusal("新建多少座图书馆？", _evidence(), _draft("37 座")) == ""


def test_signals_describe_the_draft():
    question = "今年新建多少座乡村图书馆？"
    values = signals(question, asks(question), _hits(), _evidence(), _draft("37 座", logprobs=[-0.1, -0.3]))
    assert set(values) == set(FEATURES)
    assert values["kind_fit"] == 1.0 and values["unaligned"] == 0.0 and values["inexact"] == 0.0
    assert abs(values["logprob_mean"] + 0.2) < 1e-9 and values["logprob_min"] == -0.3
    assert values["cited_coverage"] == 0.8 and values["cited_rank"] == 0 and values["question_missing"] < 0.2


def test_a_doubt_with_no_way_out_is_weighed_apart():
    question = "图书馆能免费借书吗？"
    overrode = signals(question, asks(question), _hits(), _evidence(), _draft("37 座", doubt=-1.0))
    withheld = signals(question, asks(question), _hits(), _evidence(), _draft("37 座", doubt=-1.0, withheld=True))
    assert overrode["doubt"] == withheld["withheld_doubt"] == 0.9
    assert overrode["withheld_doubt"] == withheld["doubt"] == 0.0


def test_a_heading_does_not_answer_a_yes_or_no_question():
    heading, rule = "第二章 登记", "养犬人应当自取得犬只之日起三十日内申请登记。"
    evidence = [
        Evidence(0, "d", 0, len(heading), heading, "某市养犬条例", (heading,), None, 1.0, 0.5, "heading"),
        Evidence(1, "d", 10, 10 + len(rule), rule, "某市养犬条例", (heading, "第九条"), None, 0.9, 0.5),
    ]
    cited = Draft("generative", [Span(0, 0, len(heading), heading, True)], heading)
    assert "heading" in certain_refusal("养猫要登记吗？", evidence, cited)
    assert certain_refusal("第二章讲的是什么？", evidence, cited) == ""  # it may name a topic asked
    ruled = Draft("generative", [Span(1, 10, 10 + len(rule) - 1, rule[:-1], True)], rule[:-1])
    assert certain_refusal("养狗要登记吗？", evidence, ruled) == ""


def test_a_document_title_does_not_answer_a_yes_or_no_question():
    title = "某市2024年度居民医保缴费指南"
    evidence = [Evidence(0, "d", 0, len(title), title, title, ("文档信息",), None, 1.0, 0.5, "meta")]
    cited = Draft("generative", [Span(0, 0, len(title), title, True)], title)
    assert "title" in certain_refusal("外地人能参保吗？", evidence, cited)
    assert certain_refusal("这份指南叫什么？", evidence, cited) == ""


def test_kind_fit_and_missing_words():
    assert kind_fit(asks("新建多少座图书馆？"), "37 座", 1) == 1.0
    assert kind_fit(asks("新建多少座图书馆？"), "乡村图书馆", 1) == 0.0  # asked for a number
    assert kind_fit(asks("修了多少公里路？"), "37 座", 1) == 0.0  # the unit asked is 公里
    # a yes-or-no question is not answered by a bare figure or date, only by a statement
    assert kind_fit(asks("今年要修地铁吗？"), "2023年2月10日", 1) == 0.0
    assert kind_fit(asks("能不能退货？"), "7日和15日", 1) == 0.0
    assert kind_fit(asks("能不能退货？"), "可以自收到商品之日起七日内退货", 1) == 1.0
    # a question about a time is answered by a time, not by another figure or a word
    assert kind_fit(asks("新馆什么时候开放？"), "计划", 1) == 0.0
    assert kind_fit(asks("新馆什么时候开放？"), "36个", 1) == 0.0
    assert kind_fit(asks("新馆什么时候开放？"), "10月", 1) == kind_fit(asks("什么时候报送？"), "每季度末", 1) == 1.0
    assert question_missing("全县地铁线路有多长？", _hits()) > 0.5
    assert question_missing("全县新建乡村图书馆多少座？", _hits()) == 0.0


def test_policy_refuses_below_its_threshold():
    settings = RefusalSettings(generative=(("bias", -1.0), ("kind_fit", 3.0)), generative_threshold=0.5)
    policy = RefusalPolicy(settings)
    question = "新建多少座图书馆？"
    sure = policy.run(question, asks(question), _hits(), _evidence(), _draft("37 座"))
    assert not sure.refuse and sure.confidence > 0.8
    wrong_kind = policy.run(question, asks(question), _hits(), _evidence(), _draft("乡村图书馆"))
    assert wrong_kind.refuse and wrong_kind.confidence < 0.5 and "confidence" in wrong_kind.reason


def test_a_draft_without_spans_fits_no_kind_and_no_logprobs_mean_certainty_unknown():
    question = "今年新建多少座乡村图书馆？"
    values = signals(question, asks(question), _hits(), _evidence(), Draft("extractive", score=0.4))
    assert values["kind_fit"] == 0.0 and values["cited_rank"] == len(_evidence())
    assert values["logprob_mean"] == 0.0 and values["logprob_min"] == 0.0 and values["reader_score"] == 0.4
    unsure = signals(question, asks(question), _hits(), _evidence(), _draft("37 座", logprobs=[-9.0, -12.0]))
    assert unsure["logprob_mean"] == -5.0 and unsure["logprob_min"] == -10.0  # clipped


def test_a_figure_of_another_dimension_is_refused_for_certain():
    text = "全县财政收入增长 8.5%，达到 12.6 亿元；新增就业 3200 人。"
    evidence = [Evidence(0, "doc", 0, len(text), text, "某县报告", (), None, 1.0, 0.8)]

    def draft(part):
        start = text.find(part)
        return Draft("generative", [Span(0, start, start + len(part), part, True)], part)

    assert "money" in certain_refusal("财政收入达到多少亿元？", evidence, draft("8.5%"))
    assert "rate" in certain_refusal("财政收入的增长率是多少？", evidence, draft("12.6 亿元"))
    assert "people" in certain_refusal("新增就业多少人？", evidence, draft("12.6 亿元"))
    assert certain_refusal("财政收入达到多少亿元？", evidence, draft("12.6 亿元")) == ""
    assert certain_refusal("新增就业多少人？", evidence, draft("3200 人")) == ""
    assert certain_refusal("财政收入增长了多少？", evidence, draft("8.5%")) == ""  # no unit named: no rule


def test_a_question_of_how_long_wants_a_span_of_time_in_any_unit():
    text = "受理后三十日内答复，逾期每日罚款 200 元；全县已设窗口 12 个，2041年3月1日起施行，试点两年。"
    evidence = [Evidence(0, "doc", 0, len(text), text, "某县办法", (), None, 1.0, 0.8)]
    question = "受理后多久给答复？"

    def draft(part):
        start = text.find(part)
        return Draft("generative", [Span(0, start, start + len(part), part, True)], part)

    assert kind_fit(asks(question), "三十日内", 1) == 1.0 and kind_fit(asks(question), "两年", 1) == 1.0
    assert kind_fit(asks(question), "12 个", 1) == 0.0  # a count is no span of time
    assert kind_fit(asks(question), "2041年3月1日", 1) == 0.0  # nor is a date
    assert kind_fit(asks("巡查多久进行一次？"), "每季度", 1) == 1.0  # a span of time in words
    assert kind_fit(asks("巡查多久进行一次？"), "巡查组", 1) == 0.0
    assert kind_fit(asks("巡查多久进行一次？"), "第一季度", 1) == 0.0  # a point in time
    # a question that names its unit of time wants it: days are no answer to 几年, nor years to 多少天
    assert kind_fit(asks("试点要搞几年？"), "三十日", 1) == 0.0 and kind_fit(asks("试点要搞几年？"), "两年", 1) == 1.0
    assert (
        kind_fit(asks("多少天内答复？"), "一年内", 1) == 0.0 and kind_fit(asks("多少天内答复？"), "三十日内", 1) == 1.0
    )
    assert certain_refusal("补贴多久发放一次？", evidence, draft("200 元")) != ""
    monthly = "补贴每月发放 200 元。"
    paid = [Evidence(0, "doc", 0, len(monthly), monthly, "某县办法", (), None, 1.0, 0.8)]
    cited = Draft("generative", [Span(0, 2, len(monthly) - 1, monthly[2:-1], True)], monthly[2:-1])
    assert certain_refusal("补贴多久发放一次？", paid, cited) == ""  # 每月 says how often
    assert "duration" in certain_refusal(question, evidence, draft("200 元"))
    assert certain_refusal(question, evidence, draft("三十日内")) == ""


def test_dimensions_of_figures():
    from qa.figures import dimension, dimensions_in

    assert dimensions_in("增长 7.6%和 10.6%") == {"rate"} and dimensions_in("提高 2 个百分点") == {"rate"}
    assert dimensions_in("百分之五十以上") == {"rate"} and dimensions_in("三十日内") == {"duration"}
    assert dimensions_in("1200 万元，3.5 万人") == {"money", "people"} and dimensions_in("6 所学校") == set()
    assert dimension("万亿元") == "money" and dimension("平方公里") == "area" and dimension("个") is None
    # a date measures nothing, though its 日 is a unit of time; 年 says nothing of its own
    assert dimensions_in("2041年3月1日起施行") == set() and dimensions_in("3月1日起，十五日内") == {"duration"}
    assert dimensions_in("试点两年") == set() and dimensions_in("2041年多地开展试点") == set()
    # a number of years, or 每月 and 半年, is a span of time where no unit is named (多久)
    from qa.figures import DURATION_WORDS

    assert (
        DURATION_WORDS.search("试点两年") and DURATION_WORDS.search("服务满 3 年") and DURATION_WORDS.search("每季度")
    )
    assert not DURATION_WORDS.search("2041年") and not DURATION_WORDS.search("二〇四一年")
    assert not DURATION_WORDS.search("三年级学生") and not DURATION_WORDS.search("第一季度")


def test_signals_for_a_broader_period_a_missing_head_and_restated_words():
    from qa.answering.refusal import head_missing, period_broader, restated

    five_years = Evidence(0, "doc", 0, len(TEXT), TEXT, "某县报告", ("一、过去五年",), "2018—2022年", 1.0, 0.8)
    assert period_broader("2021年新建多少座图书馆？", five_years)
    assert not period_broader("过去五年(2018—2022年)新建多少座图书馆？", five_years)
    assert not period_broader("2021年新建多少座图书馆？", _evidence("2021年")[0])
    assert head_missing(asks("哪个乡镇新建了图书馆？"), _evidence()) == 1.0  # 乡镇 stands nowhere in it
    assert head_missing(asks("新建的是什么图书馆？"), _evidence()) == 0.0
    assert head_missing(asks("新建多少座图书馆？"), _evidence()) == 0.0  # no head noun asked for
    assert (
        restated("乡村图书馆", "新建多少座乡村图书馆？") == 1.0
        and abs(restated("37 座", "新建多少座？") - 1 / 3) < 1e-9
    )
    assert restated("", "问题") == 0.0
