"""QR posters for the one-stop counter and the commune's digital-technology
teams: the staff pages, the A4 poster of every card, and a command that writes
them all to a folder::

    python -m console.posters DIR [--card ID ...] [--no-pdf]

The pages are Jinja2 templates under ``console/templates/`` (autoescaped); the
links and QR codes are the channels' (``channels.links``). The pages show only
public information (links to the assistant), so they need no log-in; editing
pages will. The poster HTML prints on one A4 page; the PDF is that HTML
printed by headless Chromium (``console.printing``), so both look the same.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from channels.links import ChannelLink, links, qr_png, qr_svg
from console.printing import PrinterBusy, html_to_pdf
from knowledge import store
from knowledge.schema import LifeEventCard, ProcedureCard

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10

_KINDS = {"procedure": "procedure", "life_event": "life_event"}

_pages = Environment(
    loader=PackageLoader("console"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class _QR:
    svg: Markup  # made by segno from the link, not from text anyone typed
    label: str


@dataclass(frozen=True)
class _Row:
    card: ProcedureCard | LifeEventCard
    links: list[ChannelLink]


def poster_html(card: ProcedureCard | LifeEventCard) -> str:
    """A one-page A4 poster: name, QR codes, the short code, two lines of instructions.

    Rendering is deterministic: the console's PDF cache keys on this HTML."""
    card_links = links(card)
    return _pages.get_template("poster.html").render(
        name=card.name,
        code=f"#{card.short_code}",
        qrs=[_QR(Markup(qr_svg(link.url)), link.label) for link in card_links],
        on_zalo=any(link.needs_code for link in card_links),
    )


def poster_pdf(card: ProcedureCard | LifeEventCard) -> bytes:
    """The poster printed to PDF by headless Chromium (blocking: seconds)."""
    return html_to_pdf(poster_html(card))


def index_html(cards: list[ProcedureCard | LifeEventCard]) -> str:
    """The staff page: every card's links, and its poster as HTML and PDF."""
    rows = [_Row(card, links(card)) for card in sorted(cards, key=lambda c: (c.kind, c.name))]
    return _pages.get_template("posters_index.html").render(rows=rows)


def _card(request: Request) -> ProcedureCard | LifeEventCard | None:
    kind = _KINDS.get(request.path_params["kind"])
    return store.get_card(kind, request.path_params["card_id"]) if kind else None


def _unavailable(status_code: int, title: str, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A short page for staff, who open these links in a browser."""
    page = _pages.get_template("poster_unavailable.html").render(title=title, message=message)
    return HTMLResponse(page, status_code=status_code, headers=headers)


def _not_found() -> HTMLResponse:
    message = "Không có thẻ hoặc định dạng này. Anh/chị chọn lại trong danh sách."
    return _unavailable(404, "Không có áp phích này", message)


async def index(_: Request) -> HTMLResponse:
    return HTMLResponse(index_html(store.all_cards()))


async def poster(request: Request) -> Response:
    card = _card(request)
    if card is None:
        return _not_found()
    format_ = request.path_params["format"]
    if format_ == "pdf":
        return await _pdf(request, poster_html(card))
    return HTMLResponse(poster_html(card)) if format_ == "html" else _not_found()


async def _pdf(request: Request, page: str) -> Response:
    try:
        pdf = await request.app.state.printer.pdf(page)
    except PrinterBusy:
        busy = f"Máy đang in các áp phích khác. Anh/chị thử lại sau khoảng {RETRY_AFTER_SECONDS} giây."
        return _unavailable(503, "Chưa in được áp phích", busy, {"retry-after": str(RETRY_AFTER_SECONDS)})
    except (subprocess.SubprocessError, OSError) as exc:
        logger.error("Chromium could not print a poster: %s", type(exc).__name__)
        failed = "Chưa in được áp phích này. Anh/chị thử lại sau ít phút; nếu vẫn lỗi, báo quản trị viên."
        return _unavailable(503, "Chưa in được áp phích", failed)
    return Response(pdf, media_type="application/pdf")


async def qr(request: Request) -> Response:
    card = _card(request)
    chosen = [link for link in links(card) if link.channel == request.path_params["channel"]] if card else []
    format_ = request.path_params["format"]
    if not chosen or format_ not in ("png", "svg"):
        return _not_found()
    if format_ == "svg":
        return Response(qr_svg(chosen[0].url), media_type="image/svg+xml")
    return Response(qr_png(chosen[0].url), media_type="image/png")


routes = [
    Route("/staff/posters", index),
    Route("/staff/posters/{kind}/{card_id}.{format:str}", poster),
    Route("/staff/qr/{kind}/{card_id}/{channel}.{format:str}", qr),
]


def write_all(directory: Path, card_ids: list[str] | None = None, pdf: bool = True) -> int:
    """Links, QR codes (PNG, SVG) and posters (HTML, PDF) for cards, into ``directory``."""
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

    parser = argparse.ArgumentParser(prog="python -m console.posters", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--card", action="append", help="card id (repeatable); default: every card")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (needs Chromium)")
    args = parser.parse_args()
    print(f"{write_all(args.out, args.card, pdf=not args.no_pdf)} cards written to {args.out}")
