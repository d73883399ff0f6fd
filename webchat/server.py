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
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from handoff import rasa_api
from handoff import store as handoffs
from settings import get_settings
from webapp import BadRequest, health, read_json_object
from webchat.headers import SecurityHeaders
from webchat.limits import RateLimit
from webchat.sessions import InvalidSession, Sessions

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 16_384
POLLS_PER_MINUTE = 60  # the page asks for staff replies every few seconds
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


async def updates(request: Request) -> JSONResponse:
    """What a person said in the conversation since ``after`` (Rasa's
    timestamp of the last one the page showed): staff replies and the
    hand-back, which Rasa's REST channel cannot push to a page."""
    refused = _too_fast(request, request.app.state.poll_limit)
    if refused is not None:
        return refused
    try:
        payload = await read_json_object(request, MAX_BODY_BYTES)
        sender = request.app.state.sessions.conversation(payload.get("session"))
        after = payload.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int | float) or not math.isfinite(after):
            raise BadRequest(422, "after must be a number")
    except BadRequest as exc:
        return _error(exc.status, exc.reason)
    except InvalidSession as exc:
        return _error(401, str(exc))
    nothing = _json({"messages": [], "after": after})
    if not await run_in_threadpool(_handed_over, sender):
        return nothing  # never handed over: no need to ask Rasa
    try:
        events = await rasa_api.events(request.app.state.http, sender)
    except rasa_api.RasaUnavailable as exc:
        logger.warning("Rasa did not give the web chat its staff replies: %s", exc)
        return nothing  # the page asks again shortly
    said = [e for e in events if rasa_api.said_by_console(e) and _stamp(e) > after]
    messages = [
        {**reply, "from": "staff" if rasa_api.staff_said(e) else "assistant"}
        for e in said
        if (reply := _reply({"text": e.get("text")}))
    ]
    return _json({"messages": messages, "after": max([after, *(_stamp(e) for e in said)])})


def _handed_over(conversation: str) -> bool:
    """Whether the conversation ever had a handoff (the database down: no)."""
    try:
        return handoffs.latest_for(conversation) is not None
    except SQLAlchemyError as exc:
        logger.warning("Handoffs unreadable: %s", type(exc).__name__)
        return False


def _taken(conversation: str) -> bool:
    """Whether a person has the conversation (the database down: no, so the citizen hears the busy text)."""
    try:
        return handoffs.is_taken(conversation)
    except SQLAlchemyError as exc:
        logger.warning("Handoffs unreadable: %s", type(exc).__name__)
        return False


def _stamp(event: dict) -> float:
    stamp = event.get("timestamp")
    return float(stamp) if isinstance(stamp, int | float) else 0.0


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
    if not replies and await run_in_threadpool(_taken, sender):
        return _json([])  # a person answers this conversation: the assistant is paused
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
            Route("/api/updates", updates, methods=["POST"]),
            Route("/health", health),
            Mount("/", StaticFiles(directory=STATIC, html=True), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.sessions = Sessions(_signing_key())
    app.state.message_limit = RateLimit(get_settings().webchat_messages_per_minute)
    app.state.session_limit = RateLimit(get_settings().webchat_sessions_per_minute)
    app.state.poll_limit = RateLimit(POLLS_PER_MINUTE)
    return app
