"""Zalo Bot platform connector (the Telegram-like Bot API of Zalo).

In credentials.yml: ``channels.zalo_bot.ZaloBotInput:``. Webhook:
``POST /webhooks/zalo_bot/webhook`` (plumbing in ``channels.webhook``),
registered with ``setWebhook`` and a ``secret_token`` that Zalo sends back in
``X-Bot-Api-Secret-Token`` (checked in constant time); each
``message.message_id`` is taken once. The API is ``<base>/bot<TOKEN>/<method>``:
this connector uses ``sendMessage`` and ``sendPhoto`` only; the platform has
no buttons, so options are numbered (see ``channels.render``). Private chats
only: the assistant answers citizens one to one, not in groups.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from rasa.shared.exceptions import RasaException
from sanic.request import Request

from channels.deliveries import Deliveries, shared_deliveries
from channels.logs import keep_secrets_out_of_logs, pseudonym
from channels.output import RenderedOutput
from channels.render import ZALO_BOT, OptionMemory, Part, Rendered, render
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
from retry import Backoff, GaveUp, Sleep, Transient, with_retries
from settings import get_settings

logger = logging.getLogger(__name__)
keep_secrets_out_of_logs()

SECRET_HEADER = "x-bot-api-secret-token"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ZaloBotError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ZaloBotClient:
    """Calls Bot API methods, retrying timeouts, 5xx and 429 with back-off."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        token: str,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._http = http
        self._base = f"{api_url.rstrip('/')}/bot{token}"
        self._retry: dict[str, Any] = {"backoff": backoff or Backoff()}
        if sleep is not None:
            self._retry["sleep"] = sleep

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        return await with_retries(lambda: self._once(method, params), f"Zalo Bot {method}", **self._retry)

    async def _once(self, method: str, params: dict[str, Any]) -> Any:
        try:
            answer = await self._http.post(f"{self._base}/{method}", json=params, timeout=TIMEOUT)
        except httpx.TimeoutException:
            raise Transient("timeout") from None
        except httpx.TransportError as exc:
            raise Transient(type(exc).__name__) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Transient(f"HTTP {answer.status_code}", _number(answer.headers.get("retry-after")))
        try:
            data = answer.json()
        except ValueError:
            raise ZaloBotError(f"HTTP {answer.status_code}, not JSON") from None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        code = data.get("error_code") if isinstance(data, dict) else None
        if code == 429:
            retry_after = (data.get("parameters") or {}).get("retry_after") if isinstance(data, dict) else None
            raise Transient("error 429", _number(retry_after))
        raise ZaloBotError(f"HTTP {answer.status_code}, error {code}")


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class ZaloBotOutput(RenderedOutput):
    """Sends one turn's responses; stops the turn at the first failure (``outcomes`` as in Zalo OA)."""

    @classmethod
    def name(cls) -> str:
        return "zalo_bot"

    def __init__(self, client: ZaloBotClient, options: OptionMemory) -> None:
        super().__init__()
        self._client = client
        self._options = options

    def render(self, conversation: str, message: dict[str, Any]) -> Rendered:
        rendered = render(message, ZALO_BOT, self._options.next_number(conversation))
        self._options.add(conversation, rendered.numbered)
        return rendered

    async def send_part(self, chat_id: str, part: Part) -> str:
        if part.image:
            method, params = "sendPhoto", {"chat_id": chat_id, "photo": part.image}
        else:
            method, params = "sendMessage", {"chat_id": chat_id, "text": part.text}
        try:
            await self._client.call(method, params)
        except (ZaloBotError, GaveUp) as exc:
            logger.error("Zalo Bot: %s to chat %s failed: %s", method, pseudonym(chat_id), exc.reason)
            return "failed"
        return "sent"


class ZaloBotInput(WebhookInput[dict[str, Any]]):
    platform = "Zalo Bot"

    @classmethod
    def name(cls) -> str:
        return "zalo_bot"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloBotInput:
        settings = get_settings()
        given = credentials or {}
        token = str(given.get("token") or settings.zalo_bot_token)
        secret = str(given.get("secret") or settings.zalo_bot_secret)
        if not token or not secret:
            raise RasaException("Zalo Bot connector: set TTHC_ZALO_BOT_TOKEN and TTHC_ZALO_BOT_SECRET")
        client = ZaloBotClient(httpx.AsyncClient(), settings.zalo_bot_api_url, token)
        return cls(secret, client, deliveries=shared_deliveries())

    def __init__(
        self,
        secret: str,
        client: ZaloBotClient,
        options: OptionMemory | None = None,
        deliveries: Deliveries | None = None,
    ) -> None:
        super().__init__(deliveries)
        self._secret = secret
        self._client = client
        self._options = options or OptionMemory()

    def get_output_channel(self) -> ZaloBotOutput:
        return ZaloBotOutput(self._client, self._options)

    async def verify(self, request: Request, body: bytes) -> dict[str, Any]:
        if not same_secret(request.headers.get(SECRET_HEADER), self._secret):
            raise Rejected(401, "missing or wrong secret token")
        update = parse_object(body)
        # Webhook deliveries come as {"ok": true, "result": {...}}; the bare event is taken too.
        return update["result"] if isinstance(update.get("result"), dict) else update

    def delivery_id(self, event: dict[str, Any]) -> str | None:
        return delivery_key(_message(event).get("message_id"))

    def dispatch(self, event: dict[str, Any]) -> Work | None:
        name = event.get("event_name")
        message = _message(event)
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        chat_id = platform_user(chat.get("id"))
        if not isinstance(name, str) or not chat_id or chat.get("chat_type", "PRIVATE") != "PRIVATE":
            return None  # groups: the assistant answers citizens one to one
        if name == "message.text.received":
            text = message.get("text")
            if not isinstance(text, str) or not text.strip():
                return None
            return ToRasa(chat_id, text, delivery_key(message.get("message_id")))
        if name.startswith("message.") and name.endswith(".received"):  # image, sticker, voice...
            return Notice(chat_id, UNSUPPORTED_MEDIA)
        return None

    def for_rasa(self, conversation: str, text: str) -> str:
        return self._options.take(conversation, text)


def _message(event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("message")
    return message if isinstance(message, dict) else {}
