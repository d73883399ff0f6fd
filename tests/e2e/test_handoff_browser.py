"""The handoff in real browsers (Debian's headless Chromium) against the
running stack: a citizen on the web chat page asks for a person; a staff
member logs in, sees the request and the citizen's new messages arrive
without reloading, takes it, inserts a card's answer, replies, and the
citizen's page shows the reply; the figures page; axe-core finds no serious
or critical problem on the inbox, the conversation and the figures pages;
screenshots go to ``var/screenshots/``."""

from __future__ import annotations

import re

from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import Browser, Page, expect

from channels.ids import conversation_id
from handoff import store
from knowledge import store as cards
from tests.e2e import console_pages
from tests.e2e.conftest import Stack
from tests.e2e.console_pages import log_in, new_page, serious_problems, shot

SEEN_WITHIN_MS = 15_000  # the pages poll every 4 s
ANSWER_WITHIN_MS = 30_000  # the first turns after the stack starts are slow on a busy machine


browser = console_pages.browser  # one Chromium per module (a fixture)


def _staff(stack: Stack, browser: Browser) -> Page:
    return log_in(stack, browser, "staff", "/inbox", "Hộp thư cán bộ")


def _say(page: Page, text: str) -> None:
    page.get_by_test_id("input").fill(text)
    page.get_by_test_id("input").press("Enter")


def _conversation(page: Page) -> str:
    token = page.evaluate("sessionStorage.getItem('tthc-session')")
    return conversation_id("web", URLSafeTimedSerializer("").loads_unsafe(token)[1])


def test_a_person_answers_a_web_citizen_in_the_browser(stack, browser):
    citizen = new_page(browser)
    citizen.goto(stack.webchat_url)
    expect(citizen.get_by_test_id("msg-bot").first).to_be_visible(timeout=ANSWER_WITHIN_MS)
    _say(citizen, "cho tôi gặp cán bộ")
    expect(citizen.get_by_text("chuyển câu hỏi của anh/chị cho cán bộ")).to_be_visible(timeout=ANSWER_WITHIN_MS)
    conversation = _conversation(citizen)

    staff = _staff(stack, browser)
    row = staff.locator(f'a[href="/inbox/{conversation}"]')
    expect(row).to_be_visible()
    # A new message of the citizen reaches the list without reloading it.
    _say(citizen, "hồ sơ khai sinh cho con tôi cần gì")
    expect(staff.get_by_text("hồ sơ khai sinh cho con tôi cần gì")).to_be_visible(timeout=SEEN_WITHIN_MS)
    shot(staff, "inbox")
    assert serious_problems(staff) == []

    row.click()
    staff.get_by_test_id("take").click()
    expect(staff.get_by_test_id("state")).to_contain_text("đang hỗ trợ")
    assert store.open_request_of(conversation).state == "taken"

    # A card's answer inserted by name, then the staff member's own words.
    card = cards.get_card("procedure", "khai-sinh")
    staff.get_by_label("Chèn câu trả lời của thẻ thủ tục").fill(card.name)
    staff.get_by_role("button", name="Chèn").click()
    box = staff.get_by_label("Câu trả lời (gửi qua Web)")
    expect(box).to_have_value(re.compile(re.escape(card.name)))
    reply = "Dạ, em là cán bộ một cửa. Anh/chị chuẩn bị giấy chứng sinh và căn cước ạ."
    box.fill(reply)
    staff.get_by_test_id("send").click()
    expect(staff.get_by_test_id("line-staff").last).to_contain_text(reply)

    # The citizen's page shows the reply, labelled as a person's.
    expect(citizen.get_by_test_id("msg-staff").last).to_contain_text(reply, timeout=SEEN_WITHIN_MS)
    # The citizen writes back; the assistant stays silent and staff see it without reloading.
    _say(citizen, "cảm ơn cán bộ, tôi cần mang bản gốc không")
    expect(staff.get_by_test_id("line-citizen").last).to_contain_text("mang bản gốc", timeout=SEEN_WITHIN_MS)
    shot(citizen, "webchat-staff-reply")
    shot(staff, "inbox-conversation")
    assert serious_problems(staff) == []

    staff.get_by_label("Kết quả hỗ trợ (bắt buộc)").fill("Đã hướng dẫn giấy tờ khai sinh")
    staff.get_by_test_id("close").click()
    expect(staff).to_have_url(f"{stack.dossier_url}/inbox")
    expect(citizen.get_by_text("em tiếp tục hỗ trợ anh/chị")).to_be_visible(timeout=SEEN_WITHIN_MS)


def test_the_figures_page(stack, browser):
    staff = _staff(stack, browser)
    staff.get_by_role("link", name="Số liệu").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Số liệu hoạt động của trợ lý")
    expect(staff.locator("svg.chart")).to_have_count(2)
    activity = staff.get_by_test_id("table-activity")
    expect(activity.get_by_role("cell", name="web").first).to_be_visible()
    expect(staff.get_by_text("Cách tính:").first).to_be_visible()
    shot(staff, "figures")
    assert serious_problems(staff) == []
