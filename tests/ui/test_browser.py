"""The chat page as a citizen uses it: a real server, headless Chromium (Debian's), no network.

The tests share one page and run in file order: ask (generative), example button,
hostile input, clear. Screenshots go to ``tests/artifacts/`` (gitignored).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SLOW_MS = 180_000  # the local LLM streams ~25 tok/s on a shared CPU
START_MS = 600_000  # the generator may still be loading when the page opens
BOT = "#chat .message-row.bot-row"
USER = "#chat .message-row.user-row"
FINAL = ".answer, .refusal, .notice"
DIALOGS: list[tuple[str, str]] = []  # every alert/confirm/prompt the page opened


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(browser, ui_server):
    """One fresh context and page for the module; dialogs are recorded (and dismissed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    DIALOGS.clear()

    def on_dialog(dialog):
        DIALOGS.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(ui_server[0], wait_until="domcontentloaded")
    expect(page.locator("#question textarea")).to_be_visible(timeout=SLOW_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _keep_chat_html(page, request):
    """After each test, the chat's HTML goes to tests/artifacts/ (helps when a selector fails)."""
    yield
    try:
        (ARTIFACTS / f"{request.node.name}.html").write_text(page.locator("#chat").inner_html(timeout=5_000),
                                                              encoding="utf-8")
    except Exception:  # the page may be gone; the test result matters more
        pass


def _ask(page, text: str) -> None:
    box = page.locator("#question textarea")
    box.fill(text)
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


def test_generative_answer_with_highlighted_source(page):
    # Wait until the generator is loaded, so the generative default is really used.
    expect(page.locator("#status")).to_contain_text("已就绪", timeout=START_MS)
    before = page.locator(BOT).count()
    _ask(page, "今年规上工业增加值增长目标是多少？")
    bots = page.locator(BOT)
    expect(bots).to_have_count(before + 1, timeout=SLOW_MS)  # pending (⏳) or already final
    expect(bots.nth(before).locator(".pending, .answer, .refusal").first).to_be_visible(timeout=SLOW_MS)
    reply = _wait_for_new_reply(page, before)
    expect(reply.locator(".answer")).to_contain_text("8%以上")
    expect(reply.locator(".rewritten")).to_contain_text("理解为")
    expect(reply.locator(".rewritten")).to_contain_text("2022年")
    details = reply.locator("details.sources")
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    marks = details.locator(".source mark")
    expect(marks.filter(has_text="8%以上").first).to_be_visible()
    expect(page.locator("#question textarea")).to_have_value("")
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


def test_thumbs_up_is_logged_with_question_and_sources(page, ui_server):
    feedback = ui_server[1] / "feedback" / "feedback.jsonl"
    before = feedback.read_text(encoding="utf-8").count("\n") if feedback.exists() else 0
    page.locator(BOT).first.hover()
    # the first answer's 👍 (labelled 赞 in a zh-CN browser)
    page.locator("#chat").get_by_role("button", name=re.compile(r"^(赞|like)$", re.I)).first.click()
    expect(page.get_by_text("谢谢反馈")).to_be_visible(timeout=SLOW_MS)
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    record = json.loads(lines[-1])
    assert record["liked"] is True and record["question"] == "今年规上工业增加值增长目标是多少？"
    assert record["answer"] == "8%以上" and record["sources"]


def test_answer_styles_are_applied(page):
    answer = page.locator(f"{BOT} .answer").first
    expect(answer).to_be_visible()
    style = answer.evaluate("e => { const s = getComputedStyle(e); return [s.borderLeftWidth, s.borderLeftColor]; }")
    assert style == ["4px", "rgb(22, 163, 74)"]  # .answer {border-left: 4px solid #16a34a}
    mark = page.locator(f"{BOT} .source mark").first
    assert mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 230, 138)"  # #fde68a


def test_example_button_gets_an_answer(page):
    _use_mode(page, "快速摘录")
    before = page.locator(BOT).count()
    example = page.locator(".example").first
    text = example.inner_text().strip()
    assert text
    example.click()
    reply = _wait_for_new_reply(page, before)
    expect(reply.locator(".answer, .refusal").first).to_be_visible()
    expect(page.locator(USER).nth(before)).to_contain_text(text)


def test_script_in_question_is_shown_as_text_not_run(page):
    expect(page).to_have_title("政府工作报告问答")
    expect(page.locator("h1").filter(has_text="政府工作报告问答")).to_be_visible()
    before = page.locator(BOT).count()
    _ask(page, "<script>window.__xss=1</script>请问这是什么")
    _wait_for_new_reply(page, before)
    shown = page.locator(USER).nth(before)
    expect(shown).to_contain_text("<script>")
    expect(shown).to_contain_text("请问这是什么")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#chat script").count() == 0
    # An event-handler payload as well: it must not fire (no dialog) and must show as text.
    before += 1
    _ask(page, '<img src=x onerror="alert(1)">请问这是什么')
    _wait_for_new_reply(page, before)
    expect(page.locator(USER).nth(before)).to_contain_text("<img")
    assert page.locator("#chat img[onerror]").count() == 0
    page.wait_for_timeout(500)
    assert DIALOGS == []


def test_clear_empties_the_chat(page):
    assert page.locator(BOT).count() > 0
    page.locator("#clear").click()
    expect(page.locator("#chat .message-row")).to_have_count(0, timeout=30_000)
    expect(page.locator("#question textarea")).to_have_value("")
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
