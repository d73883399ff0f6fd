"""Telegram connector on python-telegram-bot 22: Rasa input and output channels,
and a polling relay for development (``python -m channels.telegram --poll``).

In credentials.yml: ``channels.telegram.TelegramInput:``. Webhook:
``POST /webhooks/telegram/webhook``, registered with ``setWebhook`` and a
``secret_token`` that Telegram sends back in
``X-Telegram-Bot-Api-Secret-Token`` (checked in constant time).

- ``/start <code>`` (the deep link ``t.me/<bot>?start=ks`` on the posters)
  reaches Rasa as ``#KS``, the short code the NLU opens the card for; a bare
  ``/start`` greets. (Left as is, Rasa would read ``/start ks`` as an intent.)
- Buttons are inline keyboards; a press arrives as a callback query whose
  data is the button's payload (or a short id for one longer than 64 bytes,
  see ``channels.render.CallbackData``); it is acknowledged with
  ``answerCallbackQuery`` so the client stops its spinner.
- Texts longer than 4,096 UTF-16 units are split on sentence boundaries.
- Private chats only; photos, stickers, voice... get a polite note that only
  text is read. Each ``update_id`` is taken once (plumbing in ``channels.webhook``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

# Opt in now to python-telegram-bot's coming timedelta durations (RetryAfter):
# this module handles both, and the deprecation warning on every 429 goes away.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from rasa.shared.exceptions import RasaException
from sanic.request import Request
from telegram import Bot, CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from channels.deliveries import Deliveries, shared_deliveries
from channels.logs import keep_secrets_out_of_logs, pseudonym
from channels.output import RenderedOutput
from channels.render import TELEGRAM, CallbackData, Option, Part, Rendered, render
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

SECRET_HEADER = "x-telegram-bot-api-secret-token"
GREET = "/greet"
CHOICE_EXPIRED = "Dạ, lựa chọn này đã hết hạn. Anh/chị vui lòng gõ lại câu hỏi giúp em ạ."

_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$", re.IGNORECASE)
# A card's short code, as nlu.matcher recognises it in "#KS".
_SHORT_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}$")


def text_for_rasa(text: str) -> str:
    """What Rasa should receive for a Telegram text: ``/start ks`` -> ``#KS``."""
    found = _START.match(text.strip())
    if not found:
        return text
    code = found.group(1)
    return f"#{code.upper()}" if code and _SHORT_CODE.match(code) else GREET


def make_bot(token: str, api_url: str) -> Bot:
    """A Bot on ``api_url`` (the real API, or a local stand-in in tests)."""
    base = api_url.rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


async def _classified(call: Callable[[], Awaitable[Any]]) -> Any:
    """Run a Bot API call, turning the failures worth retrying into ``Transient``."""
    try:
        return await call()
    except RetryAfter as exc:
        raise Transient("HTTP 429", _seconds(exc)) from None
    except TimedOut:
        raise Transient("timeout") from None
    except BadRequest:
        raise
    except NetworkError as exc:  # 5xx and connection failures (BadRequest, a subclass, is above)
        raise Transient(type(exc).__name__) from None


def _seconds(exc: RetryAfter) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramOutput(RenderedOutput):
    """Sends one turn's responses; stops the turn at the first failure (``outcomes`` as in Zalo OA)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self, bot: Bot, callbacks: CallbackData, backoff: Backoff | None = None, sleep: Sleep | None = None
    ) -> None:
        super().__init__()
        self._bot = bot
        self._callbacks = callbacks
        self._retry: dict[str, Any] = {"backoff": backoff or Backoff()}
        if sleep is not None:
            self._retry["sleep"] = sleep

    def render(self, conversation: str, message: dict[str, Any]) -> Rendered:
        return render(message, TELEGRAM)

    async def send_part(self, chat_id: str, part: Part) -> str:
        if part.image:
            method = "sendPhoto"

            def call() -> Awaitable[Message]:
                return self._bot.send_photo(chat_id, photo=part.image)

        else:
            method, markup = "sendMessage", self.keyboard(part.buttons)

            def call() -> Awaitable[Message]:
                return self._bot.send_message(chat_id, part.text, reply_markup=markup)

        try:
            await with_retries(lambda: _classified(call), f"Telegram {method}", **self._retry)
        except Forbidden:
            logger.warning("Telegram: chat %s has blocked the bot; %s not sent", pseudonym(chat_id), method)
            return "forbidden"
        except (GaveUp, TelegramError) as exc:
            logger.error("Telegram: %s to chat %s failed: %s", method, pseudonym(chat_id), type(exc).__name__)
            return "failed"
        return "sent"

    def keyboard(self, options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
        """One button per row: Vietnamese titles are long."""
        rows = [
            [InlineKeyboardButton(o.title, url=o.url)]
            if o.url
            else [InlineKeyboardButton(o.title, callback_data=self._callbacks.encode(o.payload or ""))]
            for o in options
        ]
        return InlineKeyboardMarkup(rows) if rows else None


class TelegramInput(WebhookInput[Update]):
    platform = "Telegram"

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        settings = get_settings()
        given = credentials or {}
        token = str(given.get("token") or settings.telegram_token)
        secret = str(given.get("secret") or settings.telegram_secret)
        if not token or not secret:
            raise RasaException("Telegram connector: set TTHC_TELEGRAM_TOKEN and TTHC_TELEGRAM_SECRET")
        bot = make_bot(token, settings.telegram_api_url)
        return cls(secret, bot, deliveries=shared_deliveries())

    def __init__(
        self,
        secret: str,
        bot: Bot,
        callbacks: CallbackData | None = None,
        deliveries: Deliveries | None = None,
    ) -> None:
        super().__init__(deliveries)
        self._secret = secret
        self._bot = bot
        self._callbacks = callbacks or CallbackData()

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self._bot, self._callbacks)

    async def verify(self, request: Request, body: bytes) -> Update:
        if not same_secret(request.headers.get(SECRET_HEADER), self._secret):
            raise Rejected(401, "missing or wrong secret token")
        data = parse_object(body)
        try:
            update = Update.de_json(data, self._bot)
        except Exception:  # the library parses, it does not validate: what it cannot read is not an update
            raise Rejected(400, "not a Telegram update") from None
        if update is None or not isinstance(update.update_id, int) or isinstance(update.update_id, bool):
            raise Rejected(400, "not a Telegram update")
        return update

    def delivery_id(self, update: Update) -> str:
        return str(update.update_id)

    def dispatch(self, update: Update) -> Work | None:
        if update.callback_query is not None:
            return self._pressed(update.callback_query)
        message = update.message
        chat_id = _private_chat(message.chat) if message is not None else None
        if message is None or chat_id is None:
            return None  # edits, channel posts, groups: not for a one-to-one assistant
        if isinstance(message.text, str) and message.text.strip():
            return ToRasa(chat_id, message.text, delivery_key(message.message_id))
        return Notice(chat_id, UNSUPPORTED_MEDIA)

    def for_rasa(self, conversation: str, text: str) -> str:
        return text_for_rasa(text)

    def _pressed(self, query: CallbackQuery) -> Work | None:
        """A button: answered at once (the client stops its spinner), its payload to Rasa."""
        payload = self._callbacks.decode(query.data) if isinstance(query.data, str) else None
        self.background.spawn(self._answer(query, expired=payload is None), "Telegram answerCallbackQuery")
        if query.message is not None:
            chat_id = _private_chat(query.message.chat)
        else:  # the message is gone: the press came from the user's private chat
            chat_id = platform_user(query.from_user.id) if query.from_user is not None else None
        return ToRasa(chat_id, payload, delivery_key(query.id)) if payload and chat_id else None

    @staticmethod
    async def _answer(query: CallbackQuery, expired: bool) -> None:
        try:
            await _classified(lambda: query.answer(text=CHOICE_EXPIRED if expired else None))
        except (Transient, TelegramError) as exc:  # the press still counts
            logger.warning("Telegram: answerCallbackQuery failed: %s", type(exc).__name__)


def _private_chat(chat: Chat | None) -> str | None:
    """The id of a private chat; None for groups, channels and malformed chats."""
    return platform_user(chat.id) if chat is not None and chat.type == "private" else None


# -- Development: polling instead of a public webhook ------------------------


async def relay_updates(bot: Bot, rasa_webhook: str, secret: str, http: httpx.AsyncClient) -> None:
    """Fetch updates with getUpdates and post each to Rasa's Telegram webhook.

    For a laptop without a public HTTPS address: the same connector handles
    the updates, only the way they arrive differs. An update is confirmed to
    Telegram (by moving the offset past it) only once Rasa has taken it.
    """
    await bot.delete_webhook()  # getUpdates is refused while a webhook is set
    offset: int | None = None
    backoff = Backoff(cap=30.0)
    failures = 0
    while True:
        try:
            updates = await bot.get_updates(offset=offset, timeout=30, allowed_updates=["message", "callback_query"])
        except Conflict:
            raise SystemExit("Another poller or a webhook is using this bot token.") from None
        except NetworkError as exc:
            failures += 1
            logger.warning("getUpdates failed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(backoff.delay(min(failures, 6)))
            continue
        failures = 0
        for update in updates:
            await _post_until_taken(http, rasa_webhook, secret, update.to_dict(), backoff)
            offset = update.update_id + 1


async def _post_until_taken(
    http: httpx.AsyncClient, url: str, secret: str, update: dict[str, Any], backoff: Backoff
) -> None:
    attempt = 0
    while True:
        try:
            answer = await http.post(url, json=update, headers={SECRET_HEADER: secret}, timeout=10.0)
            if answer.status_code == 200:
                return
            reason = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
        logger.warning("Rasa did not take a Telegram update (%s); retrying", reason)
        await asyncio.sleep(backoff.delay(min(attempt, 6)))
        attempt += 1


async def _poll() -> None:
    settings = get_settings()
    if not settings.telegram_token or not settings.telegram_secret:
        raise SystemExit("Set TTHC_TELEGRAM_TOKEN and TTHC_TELEGRAM_SECRET (Rasa must run with the same values).")
    webhook = f"{settings.rasa_url}/webhooks/telegram/webhook"
    async with make_bot(settings.telegram_token, settings.telegram_api_url) as bot, httpx.AsyncClient() as http:
        logger.info("Relaying Telegram updates to %s; Ctrl-C stops", webhook)
        await relay_updates(bot, webhook, settings.telegram_secret, http)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Telegram connector tools (development).")
    parser.add_argument("--poll", action="store_true", help="relay getUpdates to the local Rasa instead of a webhook")
    args = parser.parse_args(argv)
    if not args.poll:
        parser.error("nothing to do: pass --poll")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keep_secrets_out_of_logs()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_poll())


if __name__ == "__main__":
    main()
