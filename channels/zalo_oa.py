"""Zalo Official Account connector: Rasa input and output channels.

In credentials.yml: ``channels.zalo_oa.ZaloOAInput:`` (values come from the
environment through ``settings``; keys given there override them). Webhook:
``POST /webhooks/zalo_oa/webhook``.

Inbound: the ``X-ZEvent-Signature`` header (``mac=`` + SHA-256 hex of app id +
raw body + the body's ``timestamp`` + OA secret key) is checked in constant
time before anything else happens; then the webhook answers 200 at once and
the message reaches Rasa in the background. Zalo redelivers events it thinks
were missed, so each ``message.msg_id`` is handled once (in memory, for a day:
see ``channels.memory`` about several replicas). ``user_send_text`` goes to
Rasa with the Zalo user id as sender id; ``follow`` greets; ``unfollow`` and
the OA's own echoes are ignored; images, stickers, voice, files... get a
polite note that only text is read.

Outbound: ``channels.render`` for the form (2,000 characters per message,
numbered options instead of buttons), ``channels.zalo_oa_api`` for the calls.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint
from sanic.request import Request

from channels.memory import ExpiringMap
from channels.output import RenderedOutput
from channels.render import ZALO_OA, OptionMemory, Part, Rendered, render
from channels.retry import GaveUp
from channels.webhook import (
    UNSUPPORTED_MEDIA,
    Background,
    Rejected,
    hand_over,
    parse_object,
    pseudonym,
    read_body,
    same_secret,
    webhook_blueprint,
)
from channels.zalo_oa_api import (
    OutsideWindow,
    ZaloOAClient,
    ZaloOAError,
    image_message,
    refresh_tokens,
    text_message,
)
from channels.zalo_tokens import NoTokens, TokenFile, TokenFileError, TokenPair, ZaloTokens
from settings import get_settings

logger = logging.getLogger(__name__)

GREET = "/greet"
SEEN_FOR_SECONDS = 24 * 3600


def zalo_signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The hex SHA-256 Zalo sends as ``X-ZEvent-Signature: mac=<hex>``."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


class ZaloOAOutput(RenderedOutput):
    """Sends one turn's responses; stops the turn at the first message Zalo refuses.

    ``outcomes`` records, per platform message, "sent", "outside_window" or
    "failed" (and "skipped" for what came after), for tests and for the logs.
    """

    @classmethod
    def name(cls) -> str:
        return "zalo_oa"

    def __init__(self, client: ZaloOAClient, options: OptionMemory) -> None:
        super().__init__()
        self._client = client
        self._options = options

    def render(self, recipient_id: str, message: dict[str, Any]) -> Rendered:
        rendered = render(message, ZALO_OA, self._options.next_number(recipient_id))
        self._options.add(recipient_id, rendered.numbered)
        return rendered

    async def send_part(self, recipient_id: str, part: Part) -> str:
        message = image_message(part.image) if part.image else text_message(part.text)
        try:
            await self._client.send(recipient_id, message)
        except OutsideWindow as exc:
            logger.warning(
                "Zalo OA: user %s is outside the interaction window (error %s); not sent, not retried",
                pseudonym(recipient_id),
                exc.code,
            )
            return "outside_window"
        except (ZaloOAError, GaveUp, NoTokens, TokenFileError, OSError) as exc:
            logger.error("Zalo OA: message to user %s not sent: %s", pseudonym(recipient_id), _reason(exc))
            return "failed"
        return "sent"


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or type(exc).__name__


class ZaloOAInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "zalo_oa"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloOAInput:
        settings = get_settings()
        given = credentials or {}
        app_id = str(given.get("app_id") or settings.zalo_oa_app_id)
        secret = str(given.get("secret") or settings.zalo_oa_secret)
        app_secret = str(given.get("app_secret") or settings.zalo_oa_app_secret or secret)
        if not app_id or not secret:
            raise RasaException("Zalo OA connector: set TTHC_ZALO_OA_APP_ID and TTHC_ZALO_OA_SECRET")
        access = str(given.get("access_token") or settings.zalo_oa_access_token)
        refresh = str(given.get("refresh_token") or settings.zalo_oa_refresh_token)
        http = httpx.AsyncClient()
        tokens = ZaloTokens(
            TokenFile(settings.zalo_oa_token_file),
            TokenPair(access, refresh) if refresh else None,
            lambda token: refresh_tokens(http, settings.zalo_oauth_url, app_id, app_secret, token),
        )
        return cls(app_id, secret, ZaloOAClient(http, settings.zalo_oa_api_url, tokens))

    def __init__(self, app_id: str, secret: str, client: ZaloOAClient, options: OptionMemory | None = None) -> None:
        self._app_id = app_id
        self._secret = secret
        self._client = client
        self._options = options or OptionMemory()
        self._seen: ExpiringMap[str, bool] = ExpiringMap(SEEN_FOR_SECONDS, 200_000)
        self.background = Background()

    def get_output_channel(self) -> ZaloOAOutput:
        return ZaloOAOutput(self._client, self._options)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return webhook_blueprint(
            "zalo_oa_webhook", "Zalo OA", self._verified, lambda event: self._dispatch(event, on_new_message)
        )

    async def _verified(self, request: Request) -> dict[str, Any]:
        header = request.headers.get("x-zevent-signature", "").strip()
        if not header:
            raise Rejected(401, "missing signature")
        body = await read_body(request)
        event = parse_object(body)
        mac = header[4:] if header.lower().startswith("mac=") else header
        timestamp = event.get("timestamp")
        if timestamp is None or isinstance(timestamp, (dict, list)):
            raise Rejected(401, "bad signature")
        expected = zalo_signature(self._app_id, body, str(timestamp), self._secret)
        if not same_secret(mac.strip().lower(), expected):
            raise Rejected(401, "bad signature")
        return event

    def _dispatch(self, event: dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        name = str(event.get("event_name") or "")
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        msg_id = message.get("msg_id")
        if name == "user_send_text":
            sender, text = _id(event.get("sender")), message.get("text")
            if sender and isinstance(text, str) and text.strip() and self._first_time(msg_id):
                text = self._options.take(sender, text)
                self._process(on_new_message, text, sender, msg_id)
        elif name == "follow":
            follower = _id(event.get("follower")) or _id(event.get("sender"))
            if follower and self._first_time(f"follow:{follower}:{event.get('timestamp')}"):
                self._process(on_new_message, GREET, follower, None)
        elif name.startswith("user_send_"):  # image, gif, sticker, audio, video, file, location, link...
            sender = _id(event.get("sender"))
            if sender and self._first_time(msg_id):
                self.background.spawn(
                    self.get_output_channel().send_response(sender, {"text": UNSUPPORTED_MEDIA}),
                    "Zalo OA unsupported-media notice",
                )
        else:  # unfollow, the OA's own messages echoed back (oa_send_*), seen/received receipts...
            logger.debug("Zalo OA event ignored: %s", name[:40])

    def _first_time(self, key: Any) -> bool:
        """False for a redelivery; deliveries without an id are all taken."""
        return not key or self._seen.add(str(key), True)

    def _process(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, sender: str, msg_id: Any
    ) -> None:
        message = UserMessage(
            text,
            self.get_output_channel(),
            sender,
            input_channel=self.name(),
            message_id=str(msg_id) if msg_id else None,
        )
        self.background.spawn(hand_over(on_new_message, message), "Zalo OA message")


def _id(party: Any) -> str | None:
    """The ``id`` of a ``sender``/``follower`` object, as a string."""
    if isinstance(party, dict) and isinstance(party.get("id"), (str, int)) and str(party["id"]).strip():
        return str(party["id"]).strip()
    return None
