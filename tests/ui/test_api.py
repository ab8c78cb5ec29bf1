"""The Gradio API as scripts use it: a real server, a real gradio_client."""
import json
import threading

import pytest
from gradio_client import Client, handle_file

from ui.service import FeedbackLog

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def client(ui_server):
    return Client(ui_server[0], verbose=False)


def test_answer_with_source(client):
    result = client.predict("今年规上工业增加值增长目标是多少？", None, "generative", 5, api_name="/ask")
    assert result["answer"] == "8%以上" and not result["refused"]
    assert result["rewritten"].startswith("2022年")
    cited = result["sources"][result["citations"][0]["source"]]
    assert "8%以上" in cited["text"] and cited["section"].startswith("二、今后五年")


def test_absent_fact_refused_with_related_passages(client):
    result = client.predict("2023年地区生产总值增长目标是多少？", None, "extractive", 5, api_name="/ask")
    assert result["refused"] and result["answer"] is None
    assert result["reply"].startswith("报告中没有找到") and result["sources"]


def test_bad_questions_get_messages_not_errors(client):
    for question in ["", "   ", "问" * 5000]:
        result = client.predict(question, None, "extractive", 5, api_name="/ask")
        assert result["refused"] and result["error"]


def test_follow_up_uses_history(client):
    history = [{"question": "2022年规上工业增加值增长目标是多少？"}]
    result = client.predict("那固定资产投资呢？", history, "extractive", 5, api_name="/ask")
    assert "固定资产投资" in result["rewritten"] and result["answer"] == "10%以 上"


def test_upload_then_ask_about_it(client, ui_server, tmp_path):
    doc = tmp_path / "县报告.md"
    doc.write_text("# 某县2022年政府工作报告\n\n## 一、今年目标\n\n全县新建乡村图书馆37座。\n", encoding="utf-8")
    status, rows, _, _ = client.predict(handle_file(str(doc)), api_name="/upload")
    assert status.startswith("✅")
    result = client.predict("全县新建乡村图书馆多少座？", None, "extractive", 5, api_name="/ask")
    assert result["answer"] == "37座"
    assert result["sources"][0]["doc"] != "qiqihar-2022-government-work-report"
    bad = tmp_path / "坏.pdf"
    bad.write_bytes(b"not a pdf at all")
    status, *_ = client.predict(handle_file(str(bad)), api_name="/upload")
    assert status.startswith("❌")
    assert (ui_server[1] / "corpus").exists() and not any(p.suffix == ".pdf" for p in (ui_server[1] / "corpus").iterdir())


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
