"""QR posters: every card's poster renders, fits one A4 page, and its QR codes decode to its links."""

import io
import os
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from starlette.testclient import TestClient

from channels.links import links, qr_png
from console.app import create_app
from console.posters import index_html, poster_html, poster_pdf
from knowledge import store
from knowledge.store import validate_files
from settings import get_settings


@pytest.fixture(autouse=True)
def channels(monkeypatch):
    monkeypatch.setenv("TTHC_ZALO_OA_ID", "1234567890")
    monkeypatch.setenv("TTHC_TELEGRAM_BOT_USERNAME", "tthc_test_bot")
    monkeypatch.setenv("TTHC_PUBLIC_WEB_URL", "https://tro-ly.example.gov.vn")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def cards():
    cards, _ = validate_files()
    return cards


def _decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_links_for_each_configured_channel(cards):
    card = next(c for c in cards if c.id == "khai-sinh" and c.kind == "procedure")
    found = {link.channel: link for link in links(card)}
    assert found["telegram"].url == "https://t.me/tthc_test_bot?start=ks"
    assert found["web"].url == "https://tro-ly.example.gov.vn/?topic=ks"
    assert found["zalo_oa"].url == "https://zalo.me/1234567890"
    assert found["zalo_oa"].needs_code and not found["telegram"].needs_code


def test_every_qr_code_decodes_back_to_its_link(cards):
    for card in cards:
        for link in links(card):
            assert _decode(qr_png(link.url)) == [link.url]


def test_every_poster_renders_with_name_code_and_instructions(cards):
    for card in cards:
        page = poster_html(card)
        assert f"#{card.short_code}" in page
        assert "Trên Zalo, gửi tin nhắn" in page
        assert page.count("<svg") == len(links(card))


def test_posters_escape_what_staff_typed_and_render_the_same_twice(cards):
    card = cards[0].model_copy(update={"name": '<script>alert("x")</script> & co'})
    page = poster_html(card)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;script&gt;" in index_html([card]) and "<script>" not in index_html([card])
    assert poster_html(card) == page  # the console's PDF cache keys on this HTML


def test_every_poster_prints_to_one_a4_page(cards):
    for card in cards:
        reader = PdfReader(io.BytesIO(poster_pdf(card)))
        assert len(reader.pages) == 1, card.id
        width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
        assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points


def test_the_longest_name_still_fits_one_page(cards):
    longest = max(cards, key=lambda c: len(c.name))
    long_name = longest.model_copy(update={"name": longest.name + " " + longest.name})
    assert len(PdfReader(io.BytesIO(poster_pdf(long_name))).pages) == 1


def test_console_pages_for_staff(database_url, tmp_path):
    store.import_files()
    with TestClient(create_app(deliver_notifications=False)) as client:
        index = client.get("/staff/posters")
        assert index.status_code == 200
        assert "#KS" in index.text
        assert client.get("/staff/posters/procedure/khai-sinh.html").status_code == 200
        pdf = client.get("/staff/posters/procedure/khai-sinh.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        png = client.get("/staff/qr/procedure/khai-sinh/telegram.png")
        assert _decode(png.content) == ["https://t.me/tthc_test_bot?start=ks"]
        assert client.get("/staff/qr/procedure/khai-sinh/telegram.svg").text.startswith("<svg")
        missing = client.get("/staff/posters/procedure/khong-co.html")
        assert missing.status_code == 404 and "Không có thẻ hoặc định dạng này" in missing.text
        assert client.get("/staff/qr/procedure/khai-sinh/fax.png").status_code == 404


def test_command_writes_links_qr_codes_and_posters(database_url, tmp_path):
    store.import_files()
    command = [sys.executable, "-m", "console.posters", str(tmp_path), "--card", "khai-sinh", "--no-pdf"]
    done = subprocess.run(command, env=os.environ, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.startswith("1 cards written")
    folder = tmp_path / "procedure-khai-sinh"
    assert "https://t.me/tthc_test_bot?start=ks" in (folder / "links.txt").read_text(encoding="utf-8")
    assert _decode((folder / "qr-web.png").read_bytes()) == ["https://tro-ly.example.gov.vn/?topic=ks"]
    assert "#KS" in (folder / "poster.html").read_text(encoding="utf-8")
