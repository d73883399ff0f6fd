"""Poster PDFs in the console: printed off the event loop, a bounded number at
once, and once per poster content. Chromium is replaced by a printer that
waits for the test, so ordering is asserted with events, not timing."""

from __future__ import annotations

import asyncio
import subprocess
import threading

import httpx
import pytest

from console.app import create_app
from console.printing import SLOTS, PosterPrinter
from knowledge import store
from knowledge.schema import LifeEventCard, ProcedureCard
from knowledge.store import validate_files
from settings import get_settings

PDF = "/staff/posters/procedure/khai-sinh.pdf"


class BlockingPrinter:
    """Stands in for Chromium: every print waits until the test releases it."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.pages: list[str] = []
        self.fail = False

    def __call__(self, page: str) -> bytes:
        self.pages.append(page)
        self.started.release()
        if not self.release.wait(timeout=5):
            raise RuntimeError("never released: the print blocked the event loop")
        if self.fail:
            raise subprocess.CalledProcessError(1, "chromium")
        return f"%PDF-1.4 print {len(self.pages)}".encode()

    async def wait_started(self, count: int = 1) -> None:
        for _ in range(count):
            assert await asyncio.to_thread(self.started.acquire, timeout=5), "the print did not start"


@pytest.fixture
def cards(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], ProcedureCard | LifeEventCard]:
    """The seed cards, served without a database (printing is what is tested here)."""
    found = {(card.kind, card.id): card for card in validate_files()[0]}
    monkeypatch.setattr(store, "get_card", lambda kind, card_id: found.get((kind, card_id)))
    return found


@pytest.fixture
def printer(cards) -> BlockingPrinter:
    return BlockingPrinter()


def _console(printer: BlockingPrinter) -> httpx.AsyncClient:
    app = create_app(deliver_notifications=False)
    app.state.printer = PosterPrinter(printer)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")


def test_the_console_answers_while_a_poster_prints(printer):
    async def scenario() -> None:
        async with _console(printer) as console:
            printing = asyncio.create_task(console.get(PDF))
            await printer.wait_started()
            page = await console.get("/staff/posters/procedure/khai-sinh.html")
            assert page.status_code == 200
            assert not printing.done()  # the console answered while Chromium was still printing
            printer.release.set()
            assert (await printing).headers["content-type"] == "application/pdf"

    asyncio.run(scenario())


def test_a_poster_is_printed_once_per_version(printer, cards, monkeypatch):
    async def scenario() -> None:
        async with _console(printer) as console:
            together = [asyncio.create_task(console.get(PDF)) for _ in range(3)]
            await printer.wait_started()
            printer.release.set()
            first = [await request for request in together]
            again = await console.get(PDF)
            assert len(printer.pages) == 1  # three requests at once and one later: one print
            assert {r.content for r in [*first, again]} == {b"%PDF-1.4 print 1"}

            card = cards["procedure", "khai-sinh"]
            cards["procedure", "khai-sinh"] = card.model_copy(update={"fees": []})
            assert (await console.get(PDF)).content == b"%PDF-1.4 print 1"  # the poster shows no fees
            cards["procedure", "khai-sinh"] = card.model_copy(update={"name": "Đăng ký khai sinh (mới)"})
            assert (await console.get(PDF)).content == b"%PDF-1.4 print 2"
            monkeypatch.setenv("TTHC_PUBLIC_WEB_URL", "https://tro-ly.example.gov.vn")
            get_settings.cache_clear()
            assert (await console.get(PDF)).content == b"%PDF-1.4 print 3"  # its QR links changed

    asyncio.run(scenario())
    get_settings.cache_clear()


def test_beyond_the_slots_the_console_says_when_to_retry(printer, cards):
    ids = [card_id for kind, card_id in cards if kind == "procedure"][: SLOTS + 1]

    async def scenario() -> None:
        async with _console(printer) as console:
            busy = [asyncio.create_task(console.get(f"/staff/posters/procedure/{i}.pdf")) for i in ids[:SLOTS]]
            await printer.wait_started(SLOTS)
            refused = await console.get(f"/staff/posters/procedure/{ids[SLOTS]}.pdf")
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) > 0
            assert "Máy đang in các áp phích khác. Anh/chị thử lại sau khoảng" in refused.text
            printer.release.set()
            assert [(await request).status_code for request in busy] == [200] * SLOTS
            assert (await console.get(f"/staff/posters/procedure/{ids[SLOTS]}.pdf")).status_code == 200

    asyncio.run(scenario())


def test_a_failed_print_is_reported_and_tried_again(printer):
    printer.fail = True
    printer.release.set()

    async def scenario() -> None:
        async with _console(printer) as console:
            failed = await console.get(PDF)
            assert failed.status_code == 503 and failed.headers["content-type"].startswith("text/html")
            assert "Chưa in được áp phích này" in failed.text
            printer.fail = False
            assert (await console.get(PDF)).status_code == 200
            assert len(printer.pages) == 2  # the failure was not kept

    asyncio.run(scenario())
