"""Console pages for staff: the links, QR codes and posters of every card.

The pages show only public information (links to the assistant), so they
need no log-in; editing pages will. PDFs are printed by ``console.printing``.
"""

from __future__ import annotations

import html
import logging
import subprocess

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from channels.posters import links, poster_html, qr_png, qr_svg
from console.printing import PrinterBusy
from knowledge import store
from knowledge.schema import LifeEventCard, ProcedureCard

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10

_KINDS = {"procedure": "procedure", "life_event": "life_event"}


def _card(request: Request) -> ProcedureCard | LifeEventCard | None:
    kind = _KINDS.get(request.path_params["kind"])
    return store.get_card(kind, request.path_params["card_id"]) if kind else None


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "no such card"}, status_code=404)


async def index(_: Request) -> HTMLResponse:
    rows = []
    for card in sorted(store.all_cards(), key=lambda c: (c.kind, c.name)):
        base = f"/staff/posters/{card.kind}/{card.id}"
        cells = " · ".join(f'<a href="{html.escape(link.url)}">{html.escape(link.label)}</a>' for link in links(card))
        rows.append(
            f"<tr><td>{html.escape(card.name)}</td><td>#{html.escape(card.short_code)}</td><td>{cells}</td>"
            f'<td><a href="{base}.html">Áp phích</a> · <a href="{base}.pdf">PDF</a></td></tr>'
        )
    page = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Áp phích QR</title></head><body>'
        "<h1>Đường dẫn và áp phích QR</h1><table><thead><tr><th>Thủ tục</th><th>Mã</th><th>Đường dẫn</th>"
        f"<th>In</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )
    return HTMLResponse(page)


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
        headers = {"retry-after": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"error": "other posters are printing: retry shortly"}, 503, headers=headers)
    except (subprocess.SubprocessError, OSError) as exc:
        logger.error("Chromium could not print a poster: %s", type(exc).__name__)
        return JSONResponse({"error": "the poster could not be printed"}, status_code=503)
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
