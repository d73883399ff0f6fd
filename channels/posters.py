"""Deep links, QR codes and printable A4 posters that open the assistant on
one card, for the one-stop counter and the commune's digital-technology teams.

Telegram and the web chat carry the card's short code in the link; Zalo links
cannot carry a payload, so the poster tells the citizen which code to send
("#KS"), which the assistant recognises (``nlu.matcher.Matcher.by_short_code``).
The HTML prints on one A4 page; the PDF is that HTML printed by headless
Chromium, so both look the same.
"""

from __future__ import annotations

import html
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import segno

from knowledge.schema import LifeEventCard, ProcedureCard
from settings import get_settings

CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class ChannelLink:
    channel: str  # "zalo_oa", "telegram", "web"
    label: str  # what the poster says above the QR code
    url: str
    needs_code: bool  # the citizen must send "#CODE" after opening it


def links(card: ProcedureCard | LifeEventCard) -> list[ChannelLink]:
    """The links of every configured channel for one card (Zalo first)."""
    settings = get_settings()
    code = card.short_code.lower()
    found: list[ChannelLink] = []
    if settings.zalo_oa_id:
        found.append(ChannelLink("zalo_oa", "Zalo", f"https://zalo.me/{settings.zalo_oa_id}", needs_code=True))
    if settings.telegram_bot_username:
        url = f"https://t.me/{settings.telegram_bot_username}?start={code}"
        found.append(ChannelLink("telegram", "Telegram", url, needs_code=False))
    found.append(ChannelLink("web", "Trang web", f"{settings.public_web_url}/?topic={code}", needs_code=False))
    return found


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=4, xmldecl=False)
    return buffer.getvalue().decode()


def poster_html(card: ProcedureCard | LifeEventCard) -> str:
    """A one-page A4 poster: name, QR codes, the short code, two lines of instructions."""
    card_links = links(card)
    code = f"#{card.short_code}"
    on_zalo = any(link.needs_code for link in card_links)
    first = f"Dùng {'Zalo hoặc ' if on_zalo else ''}máy ảnh điện thoại quét mã QR ở trên."
    second = f"Trên Zalo, gửi tin nhắn: {code}" if on_zalo else f"Hoặc gửi cho trợ lý tin nhắn: {code}"
    qrs = "\n".join(
        f'<figure class="qr">{qr_svg(link.url)}<figcaption>{html.escape(link.label)}</figcaption></figure>'
        for link in card_links
    )
    return _TEMPLATE.format(
        title=html.escape(card.name),
        size="long" if len(card.name) > 60 else "short",
        qrs=qrs,
        code=html.escape(code),
        first=html.escape(first),
        second=html.escape(second),
    )


def poster_pdf(card: ProcedureCard | LifeEventCard) -> bytes:
    """The poster printed to PDF by headless Chromium (installed by `make setup`)."""
    return html_to_pdf(poster_html(card))


def html_to_pdf(page: str) -> bytes:
    """``page`` printed to PDF by headless Chromium: seconds of work, so a web
    service calls it off its event loop (``console.printing``)."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "poster.html", Path(work) / "poster.pdf"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={work}/profile", "--no-pdf-header-footer",
                f"--print-to-pdf={target}", source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        return target.read_bytes()


_TEMPLATE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  @page {{ size: A4; margin: 14mm; }}
  * {{ box-sizing: border-box; }}
  html, body {{ margin: 0; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; }}
  main {{ height: 265mm; display: flex; flex-direction: column; align-items: center;
          justify-content: space-between; text-align: center; overflow: hidden; }}
  .brand {{ font-size: 16pt; color: #0b3d91; margin: 0; }}
  h1 {{ margin: 4mm 0; line-height: 1.2; }}
  h1.short {{ font-size: 34pt; }}
  h1.long {{ font-size: 24pt; }}
  .qrs {{ display: flex; gap: 10mm; justify-content: center; }}
  .qr {{ margin: 0; }}
  .qr svg {{ width: 58mm; height: 58mm; }}
  figcaption {{ font-size: 18pt; font-weight: bold; }}
  .code {{ font-size: 54pt; font-weight: bold; letter-spacing: 2pt; border: 1.5mm solid #111;
           padding: 2mm 10mm; border-radius: 4mm; }}
  ol {{ font-size: 22pt; text-align: left; margin: 0; padding-left: 14mm; line-height: 1.35; }}
</style>
</head>
<body>
<main>
  <p class="brand">Trợ lý thủ tục hành chính</p>
  <h1 class="{size}">{title}</h1>
  <div class="qrs">
{qrs}
  </div>
  <div class="code">{code}</div>
  <ol>
    <li>{first}</li>
    <li>{second}</li>
  </ol>
</main>
</body>
</html>
"""


def write_all(directory: Path, card_ids: list[str] | None = None, pdf: bool = True) -> int:
    """Links, QR codes (PNG, SVG) and posters (HTML, PDF) for cards, into ``directory``."""
    from knowledge import store

    cards = [c for c in store.all_cards() if not card_ids or c.id in card_ids]
    for card in cards:
        folder = directory / f"{card.kind}-{card.id}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for link in links(card):
            (folder / f"qr-{link.channel}.png").write_bytes(qr_png(link.url))
            (folder / f"qr-{link.channel}.svg").write_text(qr_svg(link.url), encoding="utf-8")
            lines.append(f"{link.label}: {link.url}" + (f" (gửi #{card.short_code})" if link.needs_code else ""))
        (folder / "links.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / "poster.html").write_text(poster_html(card), encoding="utf-8")
        if pdf:
            (folder / "poster.pdf").write_bytes(poster_pdf(card))
    return len(cards)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m channels.posters", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--card", action="append", help="card id (repeatable); default: every card")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (needs Chromium)")
    args = parser.parse_args()
    print(f"{write_all(args.out, args.card, pdf=not args.no_pdf)} cards written to {args.out}")
