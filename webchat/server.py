"""Serves the web chat page and relays its messages to Rasa's REST channel.

One origin for the page and its API: no CORS, and Rasa's port need not be
exposed. The server picks and signs every conversation id (``sessions``),
limits what one client may ask for (``limits``), reads bounded bodies only,
and answers the page in JSON only: never a stack trace, never silence.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeGuard

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from settings import get_settings
from webapp import BadRequest, health, read_json_object
from webchat.headers import SecurityHeaders
from webchat.limits import RateLimit
from webchat.sessions import InvalidSession, Sessions

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 16_384
BUSY = "Dạ, hệ thống đang bận, anh/chị vui lòng thử lại sau ít phút."
TOO_FAST = "Dạ, anh/chị gửi hơi nhanh, anh/chị vui lòng đợi một chút rồi gửi lại ạ."


def _json(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """An API answer; never cached, since it may carry a session token."""
    return JSONResponse(content, status_code=status, headers={"cache-control": "no-store", **(headers or {})})


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return _json({"error": reason}, status, headers)


def _too_fast(request: Request, limit: RateLimit) -> JSONResponse | None:
    """429 when this client has used up ``limit``, counting this request."""
    client = request.client.host if request.client else "unknown"
    wait = limit.hit(client)
    if not wait:
        return None
    return _error(429, TOO_FAST, {"retry-after": str(math.ceil(wait))})


async def new_session(request: Request) -> JSONResponse:
    """A new conversation: its signed token, which the page keeps for the tab's lifetime."""
    refused = _too_fast(request, request.app.state.session_limit)
    if refused is not None:
        return refused
    return _json({"session": request.app.state.sessions.new()})


async def chat(request: Request) -> JSONResponse:
    refused = _too_fast(request, request.app.state.message_limit)
    if refused is not None:
        return refused
    try:
        payload = await read_json_object(request, MAX_BODY_BYTES)
        sender = request.app.state.sessions.conversation(payload.get("session"))
        message = _message(payload.get("message"))
    except BadRequest as exc:
        return _error(exc.status, exc.reason)
    except InvalidSession as exc:
        return _error(401, str(exc))
    return await _relay(request.app.state.http, sender, message)


def _message(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(422, "message must be a non-empty string")
    if len(value) > MAX_MESSAGE_CHARS:
        raise BadRequest(422, f"message is longer than {MAX_MESSAGE_CHARS} characters")
    if not _is_text(value):
        raise BadRequest(422, "message is not valid text")
    return value


def _is_text(value: object) -> TypeGuard[str]:
    """A string that UTF-8 can encode: JSON may escape a lone surrogate ("\\ud800"),
    which neither Rasa's request nor our response could carry."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def _relay(http: httpx.AsyncClient, sender: str, message: str) -> JSONResponse:
    url = f"{get_settings().rasa_url}/webhooks/rest/webhook"
    try:
        response = await http.post(url, json={"sender": sender, "message": message})
        response.raise_for_status()
        raw = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("Rasa did not answer the web chat: %s", type(exc).__name__)
        return _error(503, BUSY)
    replies = [reply for r in raw if isinstance(r, dict) and (reply := _reply(r))] if isinstance(raw, list) else []
    if not replies:
        # Rasa says nothing when an action fails (the action server is down, say).
        logger.warning("Rasa answered the web chat with nothing to show")
        replies = [{"text": BUSY}]
    return _json(replies)


def _reply(raw: dict) -> dict:
    """Keep what the page renders: text, buttons, image."""
    reply: dict = {}
    if _is_text(raw.get("text")) and raw["text"].strip():
        reply["text"] = raw["text"]
    buttons = raw.get("buttons")
    kept = [
        {"title": b["title"], "payload": b["payload"]}
        for b in (buttons if isinstance(buttons, list) else [])
        if isinstance(b, dict) and _is_text(b.get("title")) and _is_text(b.get("payload"))
    ]
    if kept:
        reply["buttons"] = kept
    if _is_text(raw.get("image")):
        reply["image"] = raw["image"]
    return reply


def _signing_key() -> str:
    """The key that signs session tokens (``TTHC_WEBCHAT_KEY``, or in development
    the one kept under ``var/secrets``). Without one, a random key for this
    process: the service still works, but every session ends at a restart."""
    key = get_settings().webchat_key
    if key:
        return key
    logger.warning("TTHC_WEBCHAT_KEY is not set: web chat sessions will not survive a restart")
    return secrets.token_urlsafe(32)


def create_app() -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=3.0)) as http:
            app.state.http = http
            yield

    app = Starlette(
        routes=[
            Route("/api/session", new_session, methods=["POST"]),
            Route("/api/chat", chat, methods=["POST"]),
            Route("/health", health),
            Mount("/", StaticFiles(directory=STATIC, html=True), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.sessions = Sessions(_signing_key())
    app.state.message_limit = RateLimit(get_settings().webchat_messages_per_minute)
    app.state.session_limit = RateLimit(get_settings().webchat_sessions_per_minute)
    return app
