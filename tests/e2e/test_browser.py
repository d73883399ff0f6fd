"""The web chat in a real browser (Debian's headless Chromium): a ?topic= deep link, then a button."""

import pytest
from playwright.sync_api import expect, sync_playwright

from knowledge import store

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
