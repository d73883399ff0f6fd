"""Serves the web chat page and relays its messages to Rasa's REST channel.

One origin for the page and its API: no CORS, and Rasa's port need not be
exposed. Every request is validated; the citizen never sees a stack trace.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from settings import get_settings

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 16_384
_SENDER = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
BUSY = "Dạ, hệ thống đang bận, anh/chị vui lòng thử lại sau ít phút."


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


async def chat(request: Request) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "body too large")
    try:
        payload = await request.json()
    except ValueError:
        return _error(400, "body is not JSON")
    if not isinstance(payload, dict):
        return _error(400, "body must be a JSON object")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not _SENDER.match(sender):
        return _error(422, "sender must be 8-64 letters, digits, '-' or '_'")
    if not isinstance(message, str) or not message.strip():
        return _error(422, "message must be a non-empty string")
    if len(message) > MAX_MESSAGE_CHARS:
        return _error(422, f"message is longer than {MAX_MESSAGE_CHARS} characters")
    return await _relay(request.app.state.http, sender, message)


async def _relay(http: httpx.AsyncClient, sender: str, message: str) -> JSONResponse:
    url = f"{get_settings().rasa_url}/webhooks/rest/webhook"
    try:
        response = await http.post(url, json={"sender": sender, "message": message})
        response.raise_for_status()
        replies = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("Rasa did not answer the web chat: %s", type(exc).__name__)
        return JSONResponse({"error": BUSY}, status_code=503)
    return JSONResponse([_reply(r) for r in replies if isinstance(r, dict)])


def _reply(raw: dict) -> dict:
    """Keep what the page renders: text, buttons, image."""
    reply: dict = {}
    if isinstance(raw.get("text"), str):
        reply["text"] = raw["text"]
    buttons = [
        {"title": b["title"], "payload": b["payload"]}
        for b in raw.get("buttons") or []
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
    ]
    if buttons:
        reply["buttons"] = buttons
    if isinstance(raw.get("image"), str):
        reply["image"] = raw["image"]
    return reply


def create_app() -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=3.0)) as http:
            app.state.http = http
            yield

    return Starlette(
        routes=[
            Route("/api/chat", chat, methods=["POST"]),
            Mount("/", StaticFiles(directory=STATIC, html=True), name="static"),
        ],
        lifespan=lifespan,
    )
