"""Zalo Bot platform connector (the Telegram-like Bot API of Zalo).

In credentials.yml: ``channels.zalo_bot.ZaloBotInput:``. Webhook:
``POST /webhooks/zalo_bot/webhook``, registered with ``setWebhook`` and a
``secret_token`` that Zalo sends back in ``X-Bot-Api-Secret-Token`` (checked
in constant time). The API is ``<base>/bot<TOKEN>/<method>``: this connector
uses ``sendMessage`` and ``sendPhoto`` only; the platform has no buttons, so
options are numbered (see ``channels.render``). Private chats only: the
assistant answers citizens one to one, not in groups.
"""

from __future__ import annotations

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
from channels.render import ZALO_BOT, OptionMemory, Part, Rendered, render
from channels.retry import Backoff, GaveUp, Sleep, Transient, with_retries
from channels.webhook import (
    UNSUPPORTED_MEDIA,
    Background,
    Rejected,
    hand_over,
    keep_secrets_out_of_logs,
    parse_object,
    pseudonym,
    read_body,
    same_secret,
    webhook_blueprint,
)
from settings import get_settings

logger = logging.getLogger(__name__)
keep_secrets_out_of_logs()

SECRET_HEADER = "x-bot-api-secret-token"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SEEN_FOR_SECONDS = 24 * 3600


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

    def render(self, recipient_id: str, message: dict[str, Any]) -> Rendered:
        rendered = render(message, ZALO_BOT, self._options.next_number(recipient_id))
        self._options.add(recipient_id, rendered.numbered)
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


class ZaloBotInput(InputChannel):
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
        return cls(secret, ZaloBotClient(httpx.AsyncClient(), settings.zalo_bot_api_url, token))

    def __init__(self, secret: str, client: ZaloBotClient, options: OptionMemory | None = None) -> None:
        self._secret = secret
        self._client = client
        self._options = options or OptionMemory()
        self._seen: ExpiringMap[str, bool] = ExpiringMap(SEEN_FOR_SECONDS, 200_000)
        self.background = Background()

    def get_output_channel(self) -> ZaloBotOutput:
        return ZaloBotOutput(self._client, self._options)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return webhook_blueprint(
            "zalo_bot_webhook", "Zalo Bot", self._verified, lambda update: self._dispatch(update, on_new_message)
        )

    async def _verified(self, request: Request) -> dict[str, Any]:
        if not same_secret(request.headers.get(SECRET_HEADER), self._secret):
            raise Rejected(401, "missing or wrong secret token")
        return parse_object(await read_body(request))

    def _dispatch(self, update: dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        # Webhook deliveries come as {"ok": true, "result": {...}}; accept the bare event too.
        event = update.get("result") if isinstance(update.get("result"), dict) else update
        name = str(event.get("event_name") or "")
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        chat_id = _text_id(chat.get("id"))
        if not chat_id or str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
            return
        if not self._first_time(message.get("message_id")):
            return
        if name == "message.text.received":
            if not isinstance(message.get("text"), str) or not message["text"].strip():
                return
            text = self._options.take(chat_id, message["text"])
            user_message = UserMessage(
                text,
                self.get_output_channel(),
                chat_id,
                input_channel=self.name(),
                message_id=_text_id(message.get("message_id")),
            )
            self.background.spawn(hand_over(on_new_message, user_message), "Zalo Bot message")
        elif name.startswith("message.") and name.endswith(".received"):  # image, sticker, voice...
            self.background.spawn(
                self.get_output_channel().send_response(chat_id, {"text": UNSUPPORTED_MEDIA}),
                "Zalo Bot unsupported-media notice",
            )

    def _first_time(self, key: Any) -> bool:
        return not key or self._seen.add(str(key), True)


def _text_id(value: Any) -> str | None:
    return str(value).strip() if isinstance(value, (str, int)) and str(value).strip() else None
