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
  text is read.
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

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint
from sanic.request import Request
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from channels.memory import ExpiringMap
from channels.output import RenderedOutput
from channels.render import TELEGRAM, CallbackData, Option, Part, Rendered, render
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

SECRET_HEADER = "x-telegram-bot-api-secret-token"
GREET = "/greet"
CHOICE_EXPIRED = "Dạ, lựa chọn này đã hết hạn. Anh/chị vui lòng gõ lại câu hỏi giúp em ạ."
SEEN_FOR_SECONDS = 24 * 3600

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

    def render(self, recipient_id: str, message: dict[str, Any]) -> Rendered:
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


class TelegramInput(InputChannel):
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
        return cls(secret, make_bot(token, settings.telegram_api_url))

    def __init__(self, secret: str, bot: Bot, callbacks: CallbackData | None = None) -> None:
        self._secret = secret
        self._bot = bot
        self._callbacks = callbacks or CallbackData()
        self._seen: ExpiringMap[int, bool] = ExpiringMap(SEEN_FOR_SECONDS, 200_000)
        self.background = Background()

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self._bot, self._callbacks)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return webhook_blueprint(
            "tthc_telegram_webhook", "Telegram", self._verified, lambda update: self._first(update, on_new_message)
        )

    async def _verified(self, request: Request) -> Update:
        if not same_secret(request.headers.get(SECRET_HEADER), self._secret):
            raise Rejected(401, "missing or wrong secret token")
        return self._update(parse_object(await read_body(request)))

    def _first(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Telegram redelivers an update it thinks was lost: handle each once."""
        if self._seen.add(update.update_id, True):
            self._dispatch(update, on_new_message)

    def _update(self, data: dict[str, Any]) -> Update:
        try:
            return Update.de_json(data, self._bot)
        except (KeyError, TypeError, ValueError):
            raise Rejected(400, "not a Telegram update") from None

    def _dispatch(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if update.callback_query is not None:
            self.background.spawn(self._press(update.callback_query, on_new_message), "Telegram button")
            return
        message = update.message
        if message is None or message.chat.type != "private":
            return  # edits, channel posts, groups: not for a one-to-one assistant
        chat_id = str(message.chat.id)
        if message.text and message.text.strip():
            user_message = UserMessage(
                text_for_rasa(message.text),
                self.get_output_channel(),
                chat_id,
                input_channel=self.name(),
                message_id=str(message.message_id),
            )
            self.background.spawn(hand_over(on_new_message, user_message), "Telegram message")
        else:
            self.background.spawn(
                self.get_output_channel().send_response(chat_id, {"text": UNSUPPORTED_MEDIA}),
                "Telegram unsupported-media notice",
            )

    async def _press(self, query: CallbackQuery, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        payload = self._callbacks.decode(query.data or "")
        try:
            await _classified(lambda: query.answer(text=None if payload else CHOICE_EXPIRED))
        except (Transient, TelegramError) as exc:  # the press still counts
            logger.warning("Telegram: answerCallbackQuery failed: %s", type(exc).__name__)
        chat = query.message.chat if query.message is not None else None
        if payload is None or (chat is not None and chat.type != "private"):
            return
        chat_id = str(chat.id if chat is not None else query.from_user.id)
        user_message = UserMessage(
            payload, self.get_output_channel(), chat_id, input_channel=self.name(), message_id=str(query.id)
        )
        await hand_over(on_new_message, user_message)


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
