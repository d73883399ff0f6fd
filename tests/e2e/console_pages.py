"""What the console's browser tests share: Debian's Chromium, a log-in
through the form, screenshots kept under var/, and axe-core's verdict."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from console.accounts import create_account
from tests.e2e.conftest import Stack
from tests.e2e.test_browser import CHROMIUM_FLAGS
from tests.support import ROOT

PASSWORD = "mat-khau-e2e-0123"
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "tests" / "e2e" / "axe" / "node_modules" / "axe-core" / "axe.min.js"  # make setup installs it


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def new_page(browser: Browser) -> Page:
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()


def log_in(stack: Stack, browser: Browser, role: str, start: str, heading: str) -> Page:
    """A new account of ``role``, logged in through the form it is sent to from ``start``."""
    username = f"{role}.{uuid.uuid4().hex[:8]}"
    create_account(username, PASSWORD, role)
    page = new_page(browser)
    page.goto(f"{stack.dossier_url}{start}")
    expect(page).to_have_url(f"{stack.dossier_url}/login?next={start}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    return page


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def serious_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
