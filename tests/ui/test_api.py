"""The Gradio API as scripts use it: a real server, a real gradio_client, invented documents."""

import json
import threading

import pytest
from gradio_client import Client, handle_file

from ui.service import FeedbackLog

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def client(ui_server):
    return Client(ui_server[0], verbose=False)


def test_answer_with_source_and_exact_span(client):
    result = client.predict("东山县今年新建多少座乡村图书馆？", None, "extractive", 5, api_name="/ask")
    assert not result["refused"] and result["answer"] == "37座"
    assert result["rewritten"].startswith("东山县2030年")
    (span,) = result["answer_spans"]
    cited = result["sources"][span["source"]]
    assert cited["text"][span["start"] - cited["start"] : span["end"] - cited["start"]] == "37座"
    assert "37座" in result["reply"] and result["citations"][0]["title"].startswith("东山县")


def test_law_citation_names_the_article(client):
    result = client.predict("物业公司能不能停水催缴物业费？", None, "extractive", 5, api_name="/ask")
    assert not result["refused"] and "不得" in result["answer"]
    assert result["citations"][0]["section"] == "第十五条"
    assert result["reply"].startswith("根据《西水市物业管理条例》第十五条")


def test_scope_narrows_the_search(client):
    everything = client.predict("业主大会由谁召集？", None, "extractive", 5, "", api_name="/ask")
    rules = client.predict("业主大会由谁召集？", None, "extractive", 5, "kind:rules", api_name="/ask")
    report = client.predict(
        "业主大会由谁召集？", None, "extractive", 5, "doc:dongshan-2030-work-report", api_name="/ask"
    )
    assert {s["doc"] for s in rules["sources"]} == {"xishui-property-rules"}
    assert {s["doc"] for s in report["sources"]} == {"dongshan-2030-work-report"}
    assert len({s["doc"] for s in everything["sources"]}) == 2
    assert client.predict("业主大会由谁召集？", None, "extractive", 5, "nonsense", api_name="/ask")["error"]


@pytest.mark.generator
def test_absent_fact_refused_with_related_passages(client):
    # the generator reads the evidence and says the fact is not there (the extractive reader's
    # refusal is a weaker, fitted guess: see the README's figures)
    result = client.predict("东山县今年要新建几座地铁站？", None, "generative", 5, api_name="/ask")
    assert result["refused"] and result["answer"] is None
    assert result["reply"].startswith("文件中没有找到") and result["sources"]


def test_bad_questions_get_messages_not_errors(client):
    for question in ["", "   ", "问" * 5000]:
        result = client.predict(question, None, "extractive", 5, api_name="/ask")
        assert result["refused"] and result["error"]


def test_follow_up_uses_history(client):
    history = [{"question": "东山县今年新建多少座乡村图书馆？"}]
    result = client.predict("那社区食堂呢？", history, "extractive", 5, api_name="/ask")
    assert "社区食堂" in result["rewritten"] and result["answer"] == "40家"


def test_upload_then_ask_about_it(client, ui_server, tmp_path):
    doc = tmp_path / "北岭镇计划.md"
    doc.write_text("# 北岭镇2030年工作计划\n\n## 一、今年目标\n\n全镇新建口袋公园23个。\n", encoding="utf-8")
    status, rows, _, _ = client.predict(handle_file(str(doc)), "", api_name="/upload")
    assert status.startswith("✅")
    result = client.predict("北岭镇新建多少个口袋公园？", None, "extractive", 5, api_name="/ask")
    assert result["answer"] == "23个"
    assert result["sources"][0]["doc"] == "北岭镇计划-md"
    bad = tmp_path / "坏.pdf"
    bad.write_bytes(b"not a pdf at all")
    status, *_ = client.predict(handle_file(str(bad)), "", api_name="/upload")
    assert status.startswith("❌")
    assert not any(p.suffix == ".pdf" for p in (ui_server[1] / "corpus").rglob("*"))


def test_feedback_log_keeps_lines_whole_under_concurrency(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")

    def write(n):
        for i in range(50):
            log.append({"liked": True, "question": f"问题{n}-{i}" * 20})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400 and all(json.loads(line)["liked"] for line in lines)
