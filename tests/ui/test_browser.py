"""The chat page as a citizen uses it: a real server, headless Chromium (Debian's), no network.

Each test opens its own page (no test depends on another's state). The server answers from
invented documents (tests/fixtures/corpus). Screenshots go to ``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import require

playwright_api = require("playwright.sync_api", "browser tests")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SLOW_MS = 180_000  # the local LLM on a shared CPU
START_MS = 600_000  # the generator may still be loading when the page opens
BOT = "#chat .message-row.bot-row"
USER = "#chat .message-row.user-row"
FINAL = ".answer, .refusal, .notice"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (bash scripts/setup.sh installs it)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, ui_server, request):
    """A fresh context and page per test; dialogs are recorded (and dismissed) in ``page.dialogs``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(ui_server[0], wait_until="domcontentloaded")
    expect(page.locator("#question textarea")).to_be_visible(timeout=SLOW_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield page
    with contextlib.suppress(Exception):  # the page may be gone; the test result matters more
        (ARTIFACTS / f"{request.node.name}.html").write_text(
            page.locator("body").inner_html(timeout=5_000), encoding="utf-8"
        )
    context.close()


def _ask(page, text: str) -> None:
    page.locator("#question textarea").fill(text)
    page.locator("#send").click()


def _wait_for_new_reply(page, before: int):
    """The (before+1)-th assistant message, once it shows a final answer, refusal or notice."""
    bots = page.locator(BOT)
    expect(bots).to_have_count(before + 1, timeout=SLOW_MS)
    last = bots.nth(before)
    expect(last.locator(FINAL).first).to_be_visible(timeout=SLOW_MS)
    expect(last.locator(".pending")).to_have_count(0, timeout=SLOW_MS)
    return last


def _use_mode(page, label_start: str) -> None:
    radio = page.locator("#mode label").filter(has_text=label_start)
    if not radio.is_visible():
        page.locator("button.label-wrap").filter(has_text="设置").click()
    radio.click()
    expect(radio.locator("input")).to_be_checked()


def test_generative_answer_with_quoted_support_and_sources(page):
    expect(page.locator("#status")).to_contain_text("已就绪", timeout=START_MS)  # the generator is loaded
    _ask(page, "东山县今年新建改建多少公里农村公路？")
    bots = page.locator(BOT)
    expect(bots).to_have_count(1, timeout=SLOW_MS)
    expect(bots.first.locator(".pending, .answer, .refusal").first).to_be_visible(timeout=SLOW_MS)
    reply = _wait_for_new_reply(page, 0)
    expect(reply.locator(".answer")).to_contain_text("96公里")
    support = reply.locator("blockquote.support")  # shown without opening the sources
    expect(support).to_be_visible()
    expect(support.locator("mark")).to_have_text("96公里")
    expect(support.locator(".support-source")).to_contain_text("东山县2030年政府工作报告")
    expect(reply.locator(".rewritten")).to_contain_text("2030年")
    details = reply.locator("details.sources")
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    expect(details.locator(".source mark").filter(has_text="96公里").first).to_be_visible()
    expect(page.locator("#question textarea")).to_have_value("")
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


def test_thumbs_up_is_logged_with_question_and_sources(page, ui_server):
    _use_mode(page, "快速摘录")
    _ask(page, "东山县今年新建多少座乡村图书馆？")
    _wait_for_new_reply(page, 0)
    feedback = ui_server[1] / "feedback" / "feedback.jsonl"
    before = feedback.read_text(encoding="utf-8").count("\n") if feedback.exists() else 0
    page.locator(BOT).first.hover()
    page.locator("#chat").get_by_role("button", name=re.compile(r"^(赞|like)$", re.I)).first.click()
    expect(page.get_by_text("谢谢反馈")).to_be_visible(timeout=SLOW_MS)
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    record = json.loads(lines[-1])
    assert record["liked"] is True and record["question"] == "东山县今年新建多少座乡村图书馆？"
    assert record["answer"] == "37座" and record["sources"]


def test_answer_styles_are_applied(page):
    _use_mode(page, "快速摘录")
    _ask(page, "业主大会由谁召集？")
    reply = _wait_for_new_reply(page, 0)
    answer = reply.locator(".answer")
    expect(answer).to_be_visible()
    style = answer.evaluate("e => { const s = getComputedStyle(e); return [s.borderLeftWidth, s.borderLeftColor]; }")
    assert style == ["4px", "rgb(22, 163, 74)"]  # .answer {border-left: 4px solid #16a34a}
    mark = reply.locator(".support mark").first
    assert mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 230, 138)"  # #fde68a


def test_example_button_gets_an_answer(page):
    _use_mode(page, "快速摘录")
    example = page.locator(".example").first
    text = example.inner_text().strip()
    assert text == "东山县今年新建多少座乡村图书馆？"  # QA_UI_EXAMPLES of the test server
    example.click()
    reply = _wait_for_new_reply(page, 0)
    expect(reply.locator(".answer")).to_contain_text("37座")
    expect(page.locator(USER).first).to_contain_text(text)


def test_script_in_question_is_shown_as_text_not_run(page):
    expect(page).to_have_title("政府文件问答")
    _use_mode(page, "快速摘录")
    _ask(page, "<script>window.__xss=1</script>请问这是什么")
    _wait_for_new_reply(page, 0)
    shown = page.locator(USER).first
    expect(shown).to_contain_text("<script>")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#chat script").count() == 0
    _ask(page, '<img src=x onerror="alert(1)">请问这是什么')
    _wait_for_new_reply(page, 1)
    expect(page.locator(USER).nth(1)).to_contain_text("<img")
    assert page.locator("#chat img[onerror]").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_clear_empties_the_chat(page):
    _use_mode(page, "快速摘录")
    _ask(page, "业主大会由谁召集？")
    _wait_for_new_reply(page, 0)
    page.locator("#clear").click()
    expect(page.locator("#chat .message-row")).to_have_count(0, timeout=30_000)
    expect(page.locator("#question textarea")).to_have_value("")


def test_remove_with_nothing_selected_says_so(page):
    page.get_by_role("tab", name="文档").click()
    page.locator("#remove").click()
    expect(page.locator("#upload-status")).to_contain_text("请先选择要移除的文档", timeout=30_000)
    expect(page.get_by_text("错误")).to_have_count(0)
    expect(page.locator("#doc-table")).to_contain_text("东山县2030年政府工作报告")


def test_scope_choice_lists_kinds_and_documents(page):
    page.locator("button.label-wrap").filter(has_text="设置").click()
    page.locator("#scope input").click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="类别：rules")).to_have_count(1, timeout=30_000)
    expect(options.filter(has_text="西水市物业管理条例")).to_have_count(1)
