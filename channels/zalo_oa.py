"""Zalo Official Account connector: Rasa input and output channels.

In credentials.yml: ``channels.zalo_oa.ZaloOAInput:`` (values come from the
environment through ``settings``; keys given there override them). Webhook:
``POST /webhooks/zalo_oa/webhook``.

Inbound (plumbing in ``channels.webhook``): the ``X-ZEvent-Signature`` header
(``mac=`` + SHA-256 hex of app id + raw body + the body's ``timestamp`` + OA
secret key) is checked in constant time, and the ``timestamp`` (milliseconds)
must be recent, so a captured delivery cannot be replayed later. Each
``message.msg_id`` is taken once. ``user_send_text`` goes to Rasa;
``follow`` greets; ``unfollow`` and the OA's own echoes are ignored; images,
stickers, voice, files... get a polite note that only text is read.

Outbound: ``channels.render`` for the form (2,000 characters per message,
numbered options instead of buttons), ``channels.zalo_oa_api`` for the calls.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from rasa.shared.exceptions import RasaException
from sanic.request import Request

from channels.deliveries import Deliveries, shared_deliveries
from channels.logs import keep_secrets_out_of_logs, pseudonym
from channels.output import RenderedOutput
from channels.render import ZALO_OA, OptionMemory, Part, Rendered, render
from channels.webhook import (
    UNSUPPORTED_MEDIA,
    Notice,
    Rejected,
    ToRasa,
    WebhookInput,
    Work,
    delivery_key,
    parse_object,
    platform_user,
    same_secret,
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
from retry import GaveUp
from settings import get_settings

logger = logging.getLogger(__name__)
keep_secrets_out_of_logs()

SIGNATURE_HEADER = "x-zevent-signature"
GREET = "/greet"
# Zalo delivers within seconds and retries for minutes; older events are replays.
MAX_AGE_SECONDS = 10 * 60
MAX_CLOCK_SKEW_SECONDS = 2 * 60

_MAC = re.compile(r"(?:mac=)?([0-9a-f]{64})")
_MILLISECONDS = re.compile(r"[0-9]{1,16}")


def zalo_signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The hex SHA-256 Zalo sends as ``X-ZEvent-Signature: mac=<hex>``."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


class ZaloOAOutput(RenderedOutput):
    """Sends one turn's responses; stops the turn at the first message Zalo refuses."""

    @classmethod
    def name(cls) -> str:
        return "zalo_oa"

    def __init__(self, client: ZaloOAClient, options: OptionMemory) -> None:
        super().__init__()
        self._client = client
        self._options = options

    def render(self, conversation: str, message: dict[str, Any]) -> Rendered:
        rendered = render(message, ZALO_OA, self._options.next_number(conversation))
        self._options.add(conversation, rendered.numbered)
        return rendered

    async def send_part(self, user: str, part: Part) -> str:
        message = image_message(part.image) if part.image else text_message(part.text)
        try:
            await self._client.send(user, message)
        except OutsideWindow as exc:
            logger.warning(
                "Zalo OA: user %s is outside the interaction window (error %s); not sent, not retried",
                pseudonym(user),
                exc.code,
            )
            return "outside_window"
        except (ZaloOAError, GaveUp, NoTokens, TokenFileError, OSError) as exc:
            logger.error("Zalo OA: message to user %s not sent: %s", pseudonym(user), _reason(exc))
            return "failed"
        return "sent"


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or type(exc).__name__


class ZaloOAInput(WebhookInput[dict[str, Any]]):
    platform = "Zalo OA"

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
        client = ZaloOAClient(http, settings.zalo_oa_api_url, tokens)
        return cls(app_id, secret, client, deliveries=shared_deliveries())

    def __init__(
        self,
        app_id: str,
        secret: str,
        client: ZaloOAClient,
        options: OptionMemory | None = None,
        deliveries: Deliveries | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(deliveries)
        self._app_id = app_id
        self._secret = secret
        self._client = client
        self._options = options or OptionMemory()
        self._clock = clock

    def get_output_channel(self) -> ZaloOAOutput:
        return ZaloOAOutput(self._client, self._options)

    async def verify(self, request: Request, body: bytes) -> dict[str, Any]:
        found = _MAC.fullmatch(request.headers.get(SIGNATURE_HEADER, "").strip().lower())
        if found is None:
            raise Rejected(401, "missing or malformed signature")
        event = parse_object(body)
        timestamp = delivery_key(event.get("timestamp"))  # a string in Zalo's events; a number would do
        if timestamp is None or not _MILLISECONDS.fullmatch(timestamp):
            raise Rejected(401, "bad signature")
        if not same_secret(found.group(1), zalo_signature(self._app_id, body, timestamp, self._secret)):
            raise Rejected(401, "bad signature")
        age = self._clock() - int(timestamp) / 1000
        if age > MAX_AGE_SECONDS or -age > MAX_CLOCK_SKEW_SECONDS:
            raise Rejected(401, "event too old or from the future")
        return event

    def delivery_id(self, event: dict[str, Any]) -> str | None:
        if event.get("event_name") == "follow":
            return f"follow:{event['timestamp']}:{_party(event, 'follower')}"
        message = event.get("message")
        return delivery_key(message.get("msg_id")) if isinstance(message, dict) else None

    def dispatch(self, event: dict[str, Any]) -> Work | None:
        name = event.get("event_name")
        if not isinstance(name, str):
            return None
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        if name == "follow":
            follower = _party(event, "follower") or _party(event, "sender")
            return ToRasa(follower, GREET) if follower else None
        sender = _party(event, "sender")
        if sender is None or not name.startswith("user_send_"):
            return None  # unfollow, the OA's own messages echoed back (oa_send_*), receipts...
        if name != "user_send_text":  # image, gif, sticker, audio, video, file, location, link...
            return Notice(sender, UNSUPPORTED_MEDIA)
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            return None
        return ToRasa(sender, text, delivery_key(message.get("msg_id")))

    def for_rasa(self, conversation: str, text: str) -> str:
        return self._options.take(conversation, text)


def _party(event: dict[str, Any], role: str) -> str | None:
    """The id of the event's ``sender`` or ``follower``."""
    party = event.get(role)
    return platform_user(party.get("id")) if isinstance(party, dict) else None
