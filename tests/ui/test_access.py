"""Who may change the documents, and a fair rate of questions (ui/access.py, ui/handlers.py)."""

from __future__ import annotations

import subprocess
import sys

from qa.settings import Settings, UISettings
from tests.conftest import ROOT
from ui.access import RATE_LIMITED, RateLimiter, admin_allowed, is_loopback, start_refusal
from ui.handlers import Handlers


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rate_limiter_sliding_minute_per_client():
    clock = Clock()
    limiter = RateLimiter(3, clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another client has its own count
    clock.now += 59.9
    assert not limiter.allow("a")
    clock.now += 0.2
    assert limiter.allow("a")
    assert all(RateLimiter(0, clock).allow("a") for _ in range(100))  # 0: no limit


def test_admin_token_rules():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert admin_allowed("", "", "127.0.0.1")  # loopback, no token configured
    assert not admin_allowed("", "", "0.0.0.0")
    assert admin_allowed("s3cret", "s3cret", "0.0.0.0") and not admin_allowed("guess", "s3cret", "127.0.0.1")
    assert start_refusal("0.0.0.0", "", True) and "QA_ADMIN_TOKEN" in start_refusal("0.0.0.0", "", True)
    assert start_refusal("0.0.0.0", "s3cret", True) is None and start_refusal("0.0.0.0", "", False) is None
    assert start_refusal("127.0.0.1", "", True) is None


def test_server_refuses_to_start_open_to_the_network_without_a_token():
    result = subprocess.run(
        [sys.executable, "-m", "ui", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "QA_ADMIN_TOKEN": ""},
    )
    assert result.returncode == 2 and "QA_ADMIN_TOKEN" in result.stderr


class StubService:
    """The ChatService surface the handlers use; records what reached it."""

    def __init__(self):
        self.added, self.removed = [], []

    def ask(self, question, history=None, mode="generative", k=5, scope=""):
        raise AssertionError("replaced in the test that asks")

    def add_document(self, path, original_name=None):
        self.added.append(path)
        return "added"

    def remove_document(self, doc_id):
        self.removed.append(doc_id)
        return "removed"

    def documents(self):
        return []

    @property
    def index_ready(self):
        return True


class Request:
    def __init__(self, host):
        self.client = type("C", (), {"host": host})()


def _handlers(**ui):
    service = StubService()
    return Handlers(service, Settings(ui=UISettings(**ui))), service


def test_upload_and_removal_without_the_token_change_nothing(tmp_path):
    handlers, service = _handlers(host="0.0.0.0", admin_token="s3cret")
    upload = tmp_path / "doc.txt"
    upload.write_text("内容。", encoding="utf-8")
    status, *_ = handlers.upload(str(upload), "wrong", Request("10.0.0.9"))
    assert status.startswith("❌") and "管理员口令" in status and service.added == []
    status, *_ = handlers.remove("doc", "", Request("10.0.0.9"))
    assert status.startswith("❌") and service.removed == []
    status, *_ = handlers.remove("doc", "s3cret", Request("10.0.0.9"))
    assert status == "✅ removed" and service.removed == ["doc"]
    status, *_ = handlers.remove(None, "s3cret", Request("10.0.0.9"))  # nothing selected: a message, 4 outputs
    assert status == "请先选择要移除的文档。"


def test_api_over_the_rate_gets_a_polite_message():
    handlers, service = _handlers(rate_per_minute=2)
    service.ask = lambda *a, **k: type("A", (), {"to_dict": lambda self: {"reply": "ok", "refused": False}})()
    results = [handlers.api_ask("问题", None, "extractive", 3, "", Request("10.0.0.9")) for _ in range(3)]
    assert [r.get("reply") for r in results[:2]] == ["ok", "ok"]
    assert results[2]["refused"] and results[2]["error"] == RATE_LIMITED
    assert handlers.api_ask("问题", None, "extractive", 3, "", Request("10.0.0.10"))["reply"] == "ok"
