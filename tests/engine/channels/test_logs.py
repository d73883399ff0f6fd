"""No log line carries a bot token, a platform user id or what a citizen wrote,
through whole deliveries and sends (answered, refused, failed, retried)."""

from __future__ import annotations

import logging

from sanic import response

from channels.logs import pseudonym

from .conftest import Call, fake_platform, serve_channel
from .platforms import TELEGRAM, TELEGRAM_SECRET, TELEGRAM_TOKEN, ZALO_OA
from .zalo_oa_support import OA_SECRET, REFRESH, SEND, new_pair, zalo_error, zalo_ok

QUESTION = "Số điện thoại của tôi là 0912345678, CCCD 001088012345, hồ sơ khai sinh đến đâu rồi"
ANSWER = {"text": "Dạ, anh/chị Nguyễn Thị Lan ơi, hồ sơ đang được xử lý ạ."}
PRIVATE = ("0912345678", "001088012345", "Nguyễn Thị Lan", "khai sinh")


def telegram_failing_once(call: Call) -> response.HTTPResponse:
    if call.form.get("text") == ANSWER["text"] and not getattr(telegram_failing_once, "failed", False):
        telegram_failing_once.failed = True  # type: ignore[attr-defined]
        return response.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
    return TELEGRAM.answer(call)


async def test_telegram_logs_name_no_token_user_or_text(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    user = TELEGRAM.user
    first, second = TELEGRAM.text(user, QUESTION, 1), TELEGRAM.text(user, QUESTION, 2)
    async with (
        fake_platform(default=telegram_failing_once) as api,
        serve_channel(TELEGRAM.make(api.url, tmp_path), reply=ANSWER) as server,
    ):
        assert (await server.post(first, TELEGRAM.headers(first))).status_code == 200  # answered after a retry
        assert (await server.post(first, TELEGRAM.headers(first))).status_code == 200  # a redelivery
        assert (await server.post(second, {"X-Telegram-Bot-Api-Secret-Token": "guess"})).status_code == 401
        server.agent.reply = None
        assert (await server.post(second, TELEGRAM.headers(second))).status_code == 200  # busy notice
    assert len(api.to("/sendMessage")) == 3
    logged = caplog.text
    assert "retrying" in logged and "refused" in logged and "busy notice" in logged  # the logs do say what happened
    for secret in (TELEGRAM_TOKEN, TELEGRAM_SECRET, user, *PRIVATE):
        assert secret not in logged


async def test_zalo_oa_logs_name_no_token_user_or_text(tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    user = ZALO_OA.user
    first, second = ZALO_OA.text(user, QUESTION, 1), ZALO_OA.text(user, QUESTION, 2)
    script = {
        SEND: [zalo_error(-216), zalo_ok, zalo_error(-230)],  # token refreshed; then outside the window
        REFRESH: [new_pair("access-2", "refresh-2")],
    }
    async with (
        fake_platform(script) as api,
        serve_channel(ZALO_OA.make(api.url, tmp_path), reply=ANSWER) as server,
    ):
        assert (await server.post(first, ZALO_OA.headers(first))).status_code == 200
        assert (await server.post(second, {"X-ZEvent-Signature": "mac=" + "0" * 64})).status_code == 401
        assert (await server.post(second, ZALO_OA.headers(second))).status_code == 200
    logged = caplog.text
    assert "tokens refreshed" in logged and "outside the interaction window" in logged
    assert pseudonym(user) in logged  # a citizen is named by pseudonym only
    for secret in ("access-1", "access-2", "refresh-1", "refresh-2", OA_SECRET, user, *PRIVATE):
        assert secret not in logged
