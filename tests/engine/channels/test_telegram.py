"""Telegram on python-telegram-bot: webhook secret, deep links, buttons, sending,
and the polling relay, against a local stand-in of the Bot API."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sanic import response

from channels.render import CallbackData, options_from
from channels.telegram import CHOICE_EXPIRED, GREET, TelegramInput, make_bot, relay_updates, text_for_rasa
from channels.webhook import MAX_BODY_BYTES, UNSUPPORTED_MEDIA

from .conftest import Call, fake_platform, payload, serve_channel
from .platforms import telegram_answer as telegram

TOKEN = "7000000001:AAtest-telegram-token"
SECRET = "test-telegram-secret"
CHAT = "5021873344"
CONVERSATION = f"telegram:{CHAT}"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
SHORT = {"title": "Lệ phí", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "fees"}'}
LONG = {
    "title": "Giấy tờ cần chuẩn bị",
    "payload": '/ask_procedure{"procedure": "dang-ky-thuong-tru-cho-nguoi-chua-thanh-nien", "aspect": "documents"}',
}
LINK = {"title": "Cổng Dịch vụ công", "url": "https://dichvucong.gov.vn"}


def make_input(api_url: str) -> TelegramInput:
    return TelegramInput(SECRET, make_bot(TOKEN, api_url))


def sends(calls: list[Call]) -> list[dict[str, str]]:
    return [c.form for c in calls if c.path.endswith(("/sendMessage", "/sendPhoto"))]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("/start ks", "#KS"), ("/start KS", "#KS"), ("/start@tthc_bot dk01", "#DK01"), ("/start", GREET)],
)
def test_start_payloads_become_short_codes(typed: str, expected: str) -> None:
    assert text_for_rasa(typed) == expected
    assert text_for_rasa("/start <script>") == GREET
    assert text_for_rasa("thủ tục khai sinh") == "thủ tục khai sinh"


async def test_deep_links_and_codes_reach_rasa_as_the_short_code() -> None:
    async with fake_platform() as api, serve_channel(make_input(api.url)) as server:
        for name in ("telegram_start.json", "telegram_start_bare.json", "telegram_code.json", "telegram_text.json"):
            assert (await server.post(payload(name), HEADERS)).status_code == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in server.agent.messages] == [
        (CONVERSATION, "#KS", "telegram"),
        (CONVERSATION, GREET, "telegram"),
        (CONVERSATION, "#KS", "telegram"),
        (CONVERSATION, "lệ phí cấp căn cước bao nhiêu", "telegram"),
    ]


async def test_missing_or_wrong_secret_is_refused() -> None:
    body = payload("telegram_start.json")
    async with fake_platform() as api, serve_channel(make_input(api.url)) as server:
        missing = await server.post(body)
        wrong = await server.post(body, {"X-Telegram-Bot-Api-Secret-Token": "guess"})
    assert missing.status_code == wrong.status_code == 401
    assert server.agent.messages == [] and api.calls == []


async def test_duplicates_oversized_malformed_groups_and_photos() -> None:
    body = payload("telegram_text.json")
    reply = {"text": "Dạ, lệ phí là 0 đồng ạ."}
    async with (
        fake_platform({"/sendMessage": [telegram]}) as api,
        serve_channel(make_input(api.url), reply=reply) as server,
    ):
        statuses = [
            (await server.post(body, HEADERS)).status_code,
            (await server.post(body, HEADERS)).status_code,
            (await server.post(b'{"x": "' + b"y" * MAX_BODY_BYTES + b'"}', HEADERS)).status_code,
            (await server.post(b"{nope", HEADERS)).status_code,
            (await server.post(b'{"message": {"text": "no update id"}}', HEADERS)).status_code,
            (await server.post(payload("telegram_group.json"), HEADERS)).status_code,
            (await server.post(payload("telegram_photo.json"), HEADERS)).status_code,
        ]
    assert statuses == [200, 200, 413, 400, 400, 200, 200]
    assert len(server.agent.messages) == 1
    assert sends(api.calls) == [{"chat_id": CHAT, **reply}, {"chat_id": CHAT, "text": UNSUPPORTED_MEDIA}]


async def test_a_button_press_sends_its_payload_and_is_answered() -> None:
    async with fake_platform({"/sendMessage": [telegram]}) as api, serve_channel(make_input(api.url)) as server:
        assert (await server.post(payload("telegram_callback.json"), HEADERS)).status_code == 200
    pressed = '/ask_procedure{"procedure":"khai-sinh"}'
    assert [(m.sender_id, m.text) for m in server.agent.messages] == [(CONVERSATION, pressed)]
    [answer] = [c for c in api.calls if c.path.endswith("/answerCallbackQuery")]
    assert answer.form == {"callback_query_id": "4382bfdwdsb323b2d9"}


async def test_long_payloads_travel_as_short_ids_and_expire_politely() -> None:
    async with fake_platform({"/sendMessage": [telegram]}) as api:
        channel = make_input(api.url)
        await channel.get_output_channel().send_response(CONVERSATION, {"text": "Chọn ạ", "buttons": [LONG]})
        [sent] = sends(api.calls)
        long_id = json.loads(sent["reply_markup"])["inline_keyboard"][0][0]["callback_data"]
        pressed = json.loads(payload("telegram_callback.json"))
        pressed["callback_query"]["data"] = long_id
        async with serve_channel(channel) as server:
            await server.post(json.dumps(pressed).encode(), HEADERS)
            stale = make_input(api.url)  # as after a restart: the id is unknown
        async with serve_channel(stale) as server_after_restart:
            pressed["update_id"] += 1
            await server_after_restart.post(json.dumps(pressed).encode(), HEADERS)
    assert len(long_id.encode()) <= 64
    assert server.agent.texts == [LONG["payload"]]
    assert server_after_restart.agent.messages == []
    answers = [c.form for c in api.calls if c.path.endswith("/answerCallbackQuery")]
    query_id = "4382bfdwdsb323b2d9"
    assert answers == [{"callback_query_id": query_id}, {"callback_query_id": query_id, "text": CHOICE_EXPIRED}]


async def test_keyboards_splitting_and_photos_are_sent_as_the_api_expects() -> None:
    sentence = "Người đi đăng ký khai sinh nộp tờ khai theo mẫu và giấy chứng sinh cho cơ quan đăng ký hộ tịch. "
    async with fake_platform({"/sendMessage": [telegram], "/sendPhoto": [telegram]}) as api:
        output = make_input(api.url).get_output_channel()
        await output.send_response(
            CONVERSATION, {"text": sentence * 50, "buttons": [SHORT, LINK], "image": "https://example.gov.vn/c.png"}
        )
    first, second, photo = sends(api.calls)
    assert output.outcomes == ["sent", "sent", "sent"]
    assert "reply_markup" not in first
    assert len(first["text"]) <= 4096 and first["text"].endswith("đăng ký hộ tịch.")
    assert f"{first['text']} {second['text']}" == (sentence * 50).strip()
    assert json.loads(second["reply_markup"]) == {
        "inline_keyboard": [
            [{"text": "Lệ phí", "callback_data": '/ask_procedure{"procedure":"khai-sinh","aspect":"fees"}'}],
            [{"text": "Cổng Dịch vụ công", "url": "https://dichvucong.gov.vn"}],
        ]
    }
    assert photo == {"chat_id": CHAT, "photo": "https://example.gov.vn/c.png"}


async def test_flood_control_and_server_errors_are_retried(sleeps) -> None:
    script = {
        "/sendMessage": [
            lambda _: response.json(
                {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 4}},
                status=429,
            ),
            lambda _: response.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502),
            telegram,
        ]
    }
    async with fake_platform(script) as api:
        channel = make_input(api.url)
        output = channel.get_output_channel()
        output._retry["sleep"] = sleeps  # test seam: record back-off instead of waiting
        await output.send_response(CONVERSATION, {"text": "x"})
    assert output.outcomes == ["sent"]
    assert len(sends(api.calls)) == 3
    assert sleeps[0] == 4.0 and len(sleeps) == 2


@pytest.mark.parametrize(("status", "outcome"), [(400, "failed"), (403, "forbidden")])
async def test_refusals_are_not_retried(sleeps, status: int, outcome: str) -> None:
    refusal = {"ok": False, "error_code": status, "description": "no"}
    script = {"/sendMessage": [lambda _: response.json(refusal, status=status)]}
    async with fake_platform(script) as api:
        output = make_input(api.url).get_output_channel()
        output._retry["sleep"] = sleeps
        await output.send_response(CONVERSATION, {"text": "Một. " * 1500})
    assert output.outcomes == [outcome, "skipped"]
    assert len(sends(api.calls)) == 1 and sleeps == []


async def test_the_polling_relay_hands_updates_to_the_webhook() -> None:
    update = json.loads(payload("telegram_start.json"))
    batches = [[update]]

    confirmed = asyncio.Event()  # Telegram was told the update is taken

    def get_updates(call: Call) -> response.HTTPResponse:
        if call.form.get("offset") == str(update["update_id"] + 1):
            confirmed.set()
        return response.json({"ok": True, "result": batches.pop(0) if batches else []})

    arrived = asyncio.Event()
    api_script = {"/getUpdates": [get_updates]}
    async with fake_platform(api_script, telegram) as api, serve_channel(make_input(api.url)) as server:
        original = server.agent.handle_message

        async def handle(message) -> None:
            await original(message)
            arrived.set()

        server.agent.handle_message = handle  # type: ignore[method-assign]
        async with make_bot(TOKEN, api.url) as bot, httpx.AsyncClient() as http:
            relay = asyncio.create_task(relay_updates(bot, f"{server.url}/webhooks/telegram/webhook", SECRET, http))
            await arrived.wait()
            await confirmed.wait()
            relay.cancel()
            with pytest.raises(asyncio.CancelledError):
                await relay
    assert server.agent.texts == ["#KS"]
    assert api.to("/deleteWebhook")
    assert api.to("/getUpdates")[0].form.get("offset") is None


def test_callback_data_survives_a_round_trip_through_the_keyboard() -> None:
    output = make_input("http://127.0.0.1:9").get_output_channel()
    markup = output.keyboard(tuple(options_from([SHORT, LONG])))
    data = [row[0].callback_data for row in markup.inline_keyboard]
    assert all(len(d.encode()) <= 64 for d in data)
    assert isinstance(output._callbacks, CallbackData)
    assert [output._callbacks.decode(d) for d in data] == [
        '/ask_procedure{"procedure":"khai-sinh","aspect":"fees"}',
        LONG["payload"],
    ]
