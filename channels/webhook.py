"""What every platform webhook does the same way: read a bounded body, check a
secret in constant time, answer at once and hand the message to Rasa in the
background, and say something to the citizen when that fails.

Platforms redeliver when they do not get a 2xx quickly (Zalo within seconds),
and Rasa can take longer than that to answer, so the webhook acknowledges
first and processes afterwards. Nothing here logs what a citizen wrote.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# A platform event is a few kilobytes; anything much larger is not one.
MAX_BODY_BYTES = 64 * 1024

UNSUPPORTED_MEDIA = "Dạ, hiện em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi giúp em ạ."
BUSY = "Dạ, hệ thống đang bận, anh/chị vui lòng gửi lại câu hỏi sau ít phút ạ."


class Rejected(Exception):
    """A delivery refused with an HTTP status (the reason carries no content)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def refusal(error: Rejected) -> HTTPResponse:
    return response.json({"error": error.reason}, status=error.status)


def accepted() -> HTTPResponse:
    return response.json({"status": "ok"})


def webhook_blueprint(
    name: str,
    platform: str,
    verify: Callable[[Request], Awaitable[Any]],
    dispatch: Callable[[Any], None],
) -> Blueprint:
    """The routes every connector exposes: ``GET /`` (health) and
    ``POST /webhook``, which verifies the delivery (``verify`` raises
    ``Rejected``), answers at once and hands the event to ``dispatch``."""
    hook = Blueprint(name)

    @hook.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @hook.route("/webhook", methods=["POST"], stream=True)
    async def receive(request: Request) -> HTTPResponse:
        try:
            event = await verify(request)
        except Rejected as error:
            logger.warning("%s webhook refused: %s", platform, error.reason)
            return refusal(error)
        dispatch(event)
        return accepted()

    return hook


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 past ``limit`` without reading the rest.

    Routes are registered with ``stream=True``: otherwise Sanic reads bodies up
    to the server-wide limit (100 MB in Rasa) before the handler runs.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "body too large")
    if request.stream is None:
        body = request.body or b""
    else:
        chunks: list[bytes] = []
        size = 0
        while (chunk := await request.stream.read()) is not None:
            size += len(chunk)
            if size > limit:
                raise Rejected(413, "body too large")
            chunks.append(chunk)
        body = b"".join(chunks)
    if len(body) > limit:
        raise Rejected(413, "body too large")
    return body


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or 400."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Rejected(400, "body must be a JSON object")
    return data


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset expected secret matches nothing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class Background:
    """Tasks that run after the webhook has answered.

    Keeps a reference to each task (asyncio holds only weak ones, so an
    unreferenced task can vanish mid-way) and logs failures by type and place,
    never with the message. ``drain`` lets tests and shutdown wait for them.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @staticmethod
    async def _run(work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception as exc:
            logger.error("%s failed: %s at %s", what, type(exc).__name__, where(exc))


def where(exc: BaseException) -> str:
    """file:line of the innermost frame: enough to find a bug, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


async def hand_over(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
    """Give ``message`` to Rasa; if that fails, tell the citizen instead of staying silent."""
    try:
        await on_new_message(message)
    except Exception as exc:
        logger.error("%s: Rasa failed on a message: %s at %s", message.input_channel, type(exc).__name__, where(exc))
        try:
            await message.output_channel.send_response(message.sender_id, {"text": BUSY})
        except Exception as again:
            logger.error("%s: could not send the busy notice: %s", message.input_channel, type(again).__name__)


def pseudonym(user_id: str) -> str:
    """A short, stable stand-in for a platform user id in logs."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:10]


def keep_secrets_out_of_logs() -> None:
    """Raise the level of loggers that would print secrets or messages.

    httpx logs every request URL at INFO, and Bot API URLs carry the bot token
    (``/bot<TOKEN>/sendMessage``); python-telegram-bot logs request parameters,
    message text included, at DEBUG (``rasa run --debug``).
    """
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
