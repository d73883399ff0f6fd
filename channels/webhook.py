"""The input plumbing every platform webhook shares: ``WebhookInput``.

A connector (Zalo OA, Zalo Bot, Telegram) writes how a delivery is
authenticated and parsed (``verify``), which id makes a redelivery
recognisable (``delivery_id``), and what a delivery asks for (``dispatch``:
a ``ToRasa`` or a ``Notice``). Everything else happens here, once:

- ``GET /`` answers health checks; ``POST /webhook`` reads a bounded body
  (413 past ``MAX_BODY_BYTES``), answers 401/400 for what ``verify`` refuses,
  drops redeliveries (remembered across restarts, ``channels.deliveries``),
  and answers 200 at once; the work runs in the background
  (``channels.background``) and is drained when the server stops;
- Rasa gets the sender id ``<channel>:<platform id>`` (``channels.ids``);
- a text longer than ``MAX_TEXT_CHARS`` never reaches Rasa: the citizen is
  asked for a shorter question;
- no silence: a turn in which Rasa sent nothing (the action server is down,
  Rasa failed) ends with ``BUSY`` — unless a person has taken the
  conversation (Rasa's pause, ``handoff/``): then the assistant stays silent.

Nothing here logs what a citizen wrote or who wrote it.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.background import Background, where
from channels.deliveries import Deliveries
from channels.ids import conversation_id
from channels.output import RenderedOutput
from json_body import NotAJsonObject, parse_json_object

logger = logging.getLogger(__name__)

# A platform event is a few kilobytes and a few levels deep; anything much larger is not one.
MAX_BODY_BYTES = 64 * 1024
# Zalo's own limit for one message; a longer text is not a question, and makes Rasa's turn slow.
MAX_TEXT_CHARS = 2000

UNSUPPORTED_MEDIA = "Dạ, hiện em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi giúp em ạ."
BUSY = "Dạ, hệ thống đang bận, anh/chị vui lòng gửi lại câu hỏi sau ít phút ạ."
TOO_LONG = (
    "Dạ, tin nhắn của anh/chị dài quá 2.000 ký tự nên em chưa đọc được. "
    "Anh/chị vui lòng gửi câu hỏi ngắn gọn hơn giúp em ạ."
)

Event = TypeVar("Event")
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Rejected(Exception):
    """A delivery refused with an HTTP status (the reason carries no content)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class ToRasa:
    """A citizen's text (or button payload) for Rasa."""

    user: str  # the platform's id of the citizen's chat
    text: str
    message_id: str | None = None


@dataclass(frozen=True)
class Notice:
    """Something said to the citizen without asking Rasa (e.g. that only text is read)."""

    user: str
    text: str


Work = ToRasa | Notice


class WebhookInput(InputChannel, Generic[Event]):
    """The base of the platform input channels: see the module docstring."""

    platform: ClassVar[str] = ""  # the platform's name in logs: "Zalo OA"
    drain_seconds: float = 8.0  # within the 10 s a supervisor usually waits before killing

    def __init__(self, deliveries: Deliveries | None = None) -> None:
        self.background = Background()
        self._deliveries = deliveries or Deliveries(None)
        self._agent: Any = None  # Rasa's agent, seen on the first delivery (its tracker store)

    # -- What each connector writes -------------------------------------------

    async def verify(self, request: Request, body: bytes) -> Event:
        """The authenticated, parsed event; raises ``Rejected`` (401: not the platform, 400: not an event)."""
        raise NotImplementedError

    def delivery_id(self, event: Event) -> str | None:
        """The id the platform keeps when it redelivers; None when there is none."""
        raise NotImplementedError

    def dispatch(self, event: Event) -> Work | None:
        """What the event asks for; None for events the assistant ignores."""
        raise NotImplementedError

    def for_rasa(self, conversation: str, text: str) -> str:
        """The text Rasa receives for what the citizen sent (a typed option number becomes its payload...)."""
        return text

    def get_output_channel(self) -> RenderedOutput:
        raise NotImplementedError

    # -- The plumbing ---------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"tthc_{self.name()}_webhook")

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request) -> HTTPResponse:
            try:
                event = await self.verify(request, await read_body(request))
            except Rejected as error:
                logger.warning("%s webhook refused: %s", self.platform, error.reason)
                return response.json({"error": error.reason}, status=error.status)
            self._agent = getattr(request.app.ctx, "agent", None)
            self._take(event, on_new_message)
            return response.json({"status": "ok"})

        async def drain(_app: Sanic, _loop: Any) -> None:
            dropped = await self.background.drain(self.drain_seconds)
            if dropped:
                logger.error("%s: %d messages still in progress at shutdown were dropped", self.platform, dropped)

        hook.add_route(health, "/", methods=["GET"])
        hook.add_route(receive, "/webhook", methods=["POST"], stream=True)
        hook.listener("before_server_stop")(drain)
        return hook

    def _take(self, event: Event, on_new_message: OnNewMessage) -> None:
        """Start the work of a verified event, unless it was already delivered."""
        key = self.delivery_id(event)
        if key is not None and not self._deliveries.first_time(self.name(), key):
            return
        work = self.dispatch(event)
        if work is None:
            return
        if isinstance(work, ToRasa) and len(work.text) > MAX_TEXT_CHARS:
            work = Notice(work.user, TOO_LONG)
        if isinstance(work, Notice):
            self.background.spawn(self._tell(work), f"{self.platform} notice")
        else:
            self.background.spawn(self._turn(work, on_new_message), f"{self.platform} message")

    async def _tell(self, notice: Notice) -> None:
        await self.get_output_channel().send_response(conversation_id(self.name(), notice.user), {"text": notice.text})

    async def _turn(self, work: ToRasa, on_new_message: OnNewMessage) -> None:
        """One turn with Rasa; the citizen hears something even when Rasa says nothing."""
        conversation = conversation_id(self.name(), work.user)
        output = self.get_output_channel()
        message = UserMessage(
            self.for_rasa(conversation, work.text),
            output,
            conversation,
            input_channel=self.name(),
            message_id=work.message_id,
        )
        try:
            await on_new_message(message)
        except Exception as exc:
            logger.error("%s: Rasa failed on a message: %s at %s", self.platform, type(exc).__name__, where(exc))
        if output.sent == 0 and not await self._paused(conversation):
            logger.warning("%s: a turn ended with no message sent; sending the busy notice", self.platform)
            await self._tell(Notice(work.user, BUSY))

    async def _paused(self, conversation: str) -> bool:
        """Whether a person has taken the conversation (the assistant is paused on purpose)."""
        tracker_store = getattr(self._agent, "tracker_store", None)
        if tracker_store is None:
            return False
        try:
            tracker = await tracker_store.retrieve(conversation)
        except Exception as exc:
            logger.warning("%s: pause state unreadable: %s", self.platform, type(exc).__name__)
            return False
        return tracker is not None and tracker.is_paused()


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 past ``limit`` without reading the rest.

    Routes are registered with ``stream=True``: otherwise Sanic reads bodies up
    to the server-wide limit (100 MB in Rasa) before the handler runs.
    """
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
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
    """The body as a JSON object within the depth limit, or 400."""
    try:
        return parse_json_object(body)
    except NotAJsonObject as refused:
        raise Rejected(400, str(refused)) from None


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset expected secret matches nothing.

    Platform secrets are ASCII: a header with other characters (Sanic keeps
    undecodable bytes as surrogates) is simply wrong, never an error.
    """
    if not given or not expected or not given.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


_USER_ID = re.compile(r"-?[A-Za-z0-9_]{1,64}")


def platform_user(value: Any) -> str | None:
    """A platform's user or chat id as text, when it looks like one.

    Ids become part of Rasa sender ids, rows of the tracker store and log
    pseudonyms: letters, digits, ``_`` and a leading ``-`` (Telegram groups)
    only, so no id carries a separator, a control character or a surrogate.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if _USER_ID.fullmatch(text) else None


def delivery_key(value: Any) -> str | None:
    """A platform's delivery or message id as text: printable ASCII, at most 128 characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= 128 and text.isascii() and text.isprintable() else None
