"""The three platform connectors behind one face, for the tests every platform must pass.

A ``PlatformCase`` builds its connector against a stand-in of the platform's
API (``conftest.fake_platform``), writes a text delivery as the platform
would (signed or with the secret header), and reads back what the connector
sent to whom.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sanic import response
from sanic.response import HTTPResponse

from channels.deliveries import Deliveries
from channels.telegram import TelegramInput, make_bot
from channels.webhook import WebhookInput
from channels.zalo_bot import ZaloBotClient, ZaloBotInput

from .conftest import Answer, Call, FakePlatform
from .zalo_oa_support import APP_ID, NOW, SEND, make_input, signed, zalo_ok

TELEGRAM_TOKEN = "7000000001:AAtest-telegram-token"
TELEGRAM_SECRET = "test-telegram-secret"
ZALO_BOT_TOKEN = "1234567890:test-bot-token"
ZALO_BOT_SECRET = "test-webhook-secret"


async def no_wait(_: float) -> None:
    return None


def telegram_answer(call: Call) -> HTTPResponse:
    """The Bot API's successful answers, shaped as python-telegram-bot parses them."""
    method = call.path.rsplit("/", 1)[-1]
    if method in ("sendMessage", "sendPhoto"):
        chat = {"id": int(call.form["chat_id"]), "type": "private", "first_name": "Lan"}
        return response.json({"ok": True, "result": {"message_id": 100, "date": 1700000200, "chat": chat}})
    if method == "getUpdates":
        return response.json({"ok": True, "result": []})
    if method == "getMe":
        bot = {"id": 7000000001, "is_bot": True, "first_name": "Trợ lý thủ tục", "username": "tthc_test_bot"}
        return response.json({"ok": True, "result": bot})
    return response.json({"ok": True, "result": True})


def zalo_oa_connector(api_url: str, workdir: Path, deliveries: Deliveries | None = None) -> WebhookInput:
    return make_input(api_url, workdir / "tokens.json", no_wait, deliveries=deliveries)


def zalo_oa_text(user: str, text: str, delivery: int) -> bytes:
    event = {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "timestamp": str(int(NOW * 1000)),
        "sender": {"id": user},
        "recipient": {"id": "388613280878808645"},
        "message": {"text": text, "msg_id": f"msg{delivery}"},
    }
    return json.dumps(event, ensure_ascii=False).encode()


def zalo_oa_sent(platform: FakePlatform) -> list[tuple[str, str]]:
    return [(c.json["recipient"]["user_id"], c.json["message"]["text"]) for c in platform.to(SEND)]


def zalo_bot_connector(api_url: str, workdir: Path, deliveries: Deliveries | None = None) -> WebhookInput:
    client = ZaloBotClient(httpx.AsyncClient(), api_url, ZALO_BOT_TOKEN, sleep=no_wait)
    return ZaloBotInput(ZALO_BOT_SECRET, client, deliveries=deliveries)


def zalo_bot_text(user: str, text: str, delivery: int) -> bytes:
    message = {
        "from": {"id": user, "display_name": "Ted", "is_bot": False},
        "chat": {"id": user, "chat_type": "PRIVATE"},
        "text": text,
        "message_id": f"m{delivery}",
        "date": 1750316131602,
    }
    event = {"ok": True, "result": {"event_name": "message.text.received", "message": message}}
    return json.dumps(event, ensure_ascii=False).encode()


def zalo_bot_sent(platform: FakePlatform) -> list[tuple[str, str]]:
    return [(c.json["chat_id"], c.json["text"]) for c in platform.to("/sendMessage")]


def telegram_connector(api_url: str, workdir: Path, deliveries: Deliveries | None = None) -> WebhookInput:
    return TelegramInput(TELEGRAM_SECRET, make_bot(TELEGRAM_TOKEN, api_url), deliveries=deliveries)


def telegram_text(user: str, text: str, delivery: int) -> bytes:
    person = {"id": int(user), "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    message = {
        "message_id": delivery,
        "from": person,
        "chat": {"id": int(user), "first_name": "Lan", "type": "private"},
        "date": 1700000103,
        "text": text,
    }
    return json.dumps({"update_id": delivery, "message": message}, ensure_ascii=False).encode()


def telegram_sent(platform: FakePlatform) -> list[tuple[str, str]]:
    return [(c.form["chat_id"], c.form["text"]) for c in platform.to("/sendMessage")]


@dataclass(frozen=True)
class PlatformCase:
    name: str
    make: Callable[..., WebhookInput]  # (api_url, workdir, deliveries=None)
    text: Callable[[str, str, int], bytes]  # (platform user id, text, delivery number) -> body
    headers: Callable[[bytes], dict[str, str]]
    answer: Answer  # the platform API's answer to a successful call
    sent: Callable[[FakePlatform], list[tuple[str, str]]]  # (platform user id, text) per message sent
    user: str  # a valid user id on this platform

    def __str__(self) -> str:
        return self.name


ZALO_OA = PlatformCase("zalo_oa", zalo_oa_connector, zalo_oa_text, signed, zalo_ok, zalo_oa_sent, "5021873344")
ZALO_BOT = PlatformCase(
    "zalo_bot",
    zalo_bot_connector,
    zalo_bot_text,
    lambda _: {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET},
    lambda _: response.json({"ok": True, "result": {"message_id": "x"}}),
    zalo_bot_sent,
    "6ede9afa66b88fe6d6a9",
)
TELEGRAM = PlatformCase(
    "telegram",
    telegram_connector,
    telegram_text,
    lambda _: {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    telegram_answer,
    telegram_sent,
    "5021873344",
)
ALL = (ZALO_OA, ZALO_BOT, TELEGRAM)
