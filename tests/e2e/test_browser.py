"""The web chat in a real browser (Debian's headless Chromium): a ?topic= deep
link, then a button; typing; the page under its Content-Security-Policy; and
ending the conversation on a shared computer."""

import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from knowledge import store
from webchat.headers import CONTENT_SECURITY_POLICY

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        yield context.new_page()
        browser.close()


def test_topic_link_opens_the_card_and_a_button_answers(page, stack):
    card = store.get_card("procedure", "khai-sinh")
    page.goto(f"{stack.webchat_url}/?topic=ks")
    bot = page.get_by_test_id("msg-bot")
    expect(bot.first).to_contain_text(card.name, timeout=30_000)
    page.get_by_test_id("reply-button").filter(has_text="Lệ phí").first.click()
    expect(page.get_by_test_id("msg-user").last).to_have_text("Lệ phí")
    expect(bot.last).to_contain_text(card.fees[0].text, timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no horizontal scroll on a phone


def test_typing_a_question_with_the_keyboard(page, stack):
    page.goto(stack.webchat_url)
    expect(page.get_by_test_id("msg-bot").first).to_contain_text("em chào anh/chị", timeout=30_000)
    box = page.get_by_test_id("input")
    box.fill("lam ho chieu mat bao lau")
    box.press("Enter")
    expect(page.get_by_test_id("msg-bot").last).to_contain_text(store.get_card("procedure", "ho-chieu").name)
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")


def test_the_page_works_under_its_content_security_policy(page, stack):
    console: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        console.append(message.text)

    page.on("console", collect)
    try:
        response = page.goto(stack.webchat_url)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        expect(page.get_by_test_id("msg-bot").first).to_contain_text("em chào anh/chị", timeout=30_000)
        box = page.get_by_test_id("input")
        box.fill("lam giay khai sinh can gi")
        box.press("Enter")
        expect(page.get_by_test_id("msg-bot").last).to_contain_text(store.get_card("procedure", "khai-sinh").name)
        assert not [text for text in console if "Content Security Policy" in text]
        # The attack the policy stops: markup that slipped into the page cannot run a script.
        injected = page.evaluate(
            """() => {
                const script = document.createElement('script');
                script.textContent = 'window.injected = true';
                document.body.append(script);
                return window.injected === true;
            }"""
        )
        assert injected is False
        assert any("Content Security Policy" in text for text in console)
    finally:
        page.remove_listener("console", collect)


def test_the_end_button_clears_the_conversation_from_the_keyboard(page, stack):
    page.goto(stack.webchat_url)
    bot = page.get_by_test_id("msg-bot")
    expect(bot.first).to_contain_text("em chào anh/chị", timeout=30_000)
    greeting = bot.count()
    box = page.get_by_test_id("input")
    box.fill("lam ho chieu mat bao lau")
    box.press("Enter")
    passport = store.get_card("procedure", "ho-chieu").name
    expect(bot.last).to_contain_text(passport, timeout=30_000)
    before = page.evaluate("sessionStorage.getItem('tthc-session')")

    end = page.get_by_role("button", name="Kết thúc trò chuyện")
    end.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("msg-user")).to_have_count(0)
    expect(page.get_by_test_id("log")).not_to_contain_text(passport)
    expect(bot).to_have_count(greeting, timeout=30_000)
    expect(bot.first).to_contain_text("em chào anh/chị")
    after = page.evaluate("sessionStorage.getItem('tthc-session')")
    assert before and after and after != before  # a new conversation, not the old one hidden
    expect(box).to_be_focused()
    expect(box).to_have_value("")
