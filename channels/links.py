"""Deep links and QR codes that open the assistant on one card, one per
configured channel: channel knowledge, so it lives with the channels.

Telegram and the web chat carry the card's short code in the link; Zalo links
cannot carry a payload, so the citizen sends the code ("#KS") after opening
it, which the assistant recognises (``nlu.matcher.Matcher.by_short_code``).
The console puts these on printable posters (``console.posters``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

from knowledge.schema import LifeEventCard, ProcedureCard
from settings import get_settings


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
