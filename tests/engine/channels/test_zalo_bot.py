"""Zalo Bot platform: webhook secret, recorded updates, sending text and photos."""

from __future__ import annotations

import httpx
from sanic import response

from channels.render import TYPE_A_NUMBER
from channels.webhook import MAX_BODY_BYTES, UNSUPPORTED_MEDIA
from channels.zalo_bot import ZaloBotClient, ZaloBotInput

from .conftest import fake_platform, payload, serve_channel

TOKEN = "1234567890:test-bot-token"
SECRET = "test-webhook-secret"
CHAT = "6ede9afa66b88fe6d6a9"
CONVERSATION = f"zalo_bot:{CHAT}"
HEADERS = {"X-Bot-Api-Secret-Token": SECRET}
BUTTONS = [
    {"title": "Giấy tờ cần chuẩn bị", "payload": '/ask_procedure{"procedure": "thuong-tru", "aspect": "documents"}'},
    {"title": "Lệ phí", "payload": '/ask_procedure{"procedure": "thuong-tru", "aspect": "fees"}'},
]


def make_input(api_url: str, sleeps) -> ZaloBotInput:
    return ZaloBotInput(SECRET, ZaloBotClient(httpx.AsyncClient(), api_url, TOKEN, sleep=sleeps))


async def test_text_reaches_rasa_in_the_chats_conversation(sleeps) -> None:
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, sleeps)) as server:
        answer = await server.post(payload("zalo_bot_text.json"), HEADERS)
        await server.post(payload("zalo_bot_code.json"), HEADERS)
    assert answer.status_code == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in server.agent.messages] == [
        (CONVERSATION, "đăng ký thường trú cần gì", "zalo_bot"),
        (CONVERSATION, "#KS", "zalo_bot"),
    ]


async def test_missing_or_wrong_secret_is_refused(sleeps) -> None:
    body = payload("zalo_bot_text.json")
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, sleeps)) as server:
        missing = await server.post(body)
        wrong = await server.post(body, {"X-Bot-Api-Secret-Token": SECRET + "x"})
    assert missing.status_code == wrong.status_code == 401
    assert server.agent.messages == [] and zalo.calls == []


async def test_duplicates_oversized_malformed_and_groups(sleeps) -> None:
    body = payload("zalo_bot_text.json")
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, sleeps)) as server:
        statuses = [
            (await server.post(body, HEADERS)).status_code,
            (await server.post(body, HEADERS)).status_code,
            (await server.post(b"{" + b" " * MAX_BODY_BYTES + b"}", HEADERS)).status_code,
            (await server.post(b"not json", HEADERS)).status_code,
            (await server.post(payload("zalo_bot_group.json"), HEADERS)).status_code,
        ]
    assert statuses == [200, 200, 413, 400, 200]
    assert len(server.agent.messages) == 1


async def test_images_get_the_polite_note(sleeps) -> None:
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, sleeps)) as server:
        await server.post(payload("zalo_bot_image.json"), HEADERS)
    assert server.agent.messages == []
    [call] = zalo.calls
    assert call.path == f"/bot{TOKEN}/sendMessage"
    assert call.json == {"chat_id": CHAT, "text": UNSUPPORTED_MEDIA}


async def test_replies_are_numbered_and_a_typed_number_picks_the_payload(sleeps) -> None:
    reply = {"text": "Dạ, anh/chị muốn biết thêm gì ạ?", "buttons": BUTTONS, "image": "https://example.gov.vn/b.png"}
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, sleeps), reply=reply) as server:
        await server.post(payload("zalo_bot_text.json"), HEADERS)
        await server.post(payload("zalo_bot_number.json"), HEADERS)
    assert server.agent.texts[1] == BUTTONS[0]["payload"]
    text, photo = zalo.calls[:2]
    assert text.path == f"/bot{TOKEN}/sendMessage"
    assert text.json == {
        "chat_id": CHAT,
        "text": f"Dạ, anh/chị muốn biết thêm gì ạ?\n\n1. Giấy tờ cần chuẩn bị\n2. Lệ phí\n{TYPE_A_NUMBER}",
    }
    assert photo.path == f"/bot{TOKEN}/sendPhoto"
    assert photo.json == {"chat_id": CHAT, "photo": "https://example.gov.vn/b.png"}


async def test_long_texts_are_split_and_rate_limits_backed_off(sleeps) -> None:
    sentence = "Hồ sơ nộp tại bộ phận một cửa của Ủy ban nhân dân cấp xã. "
    script = {
        "/sendMessage": [
            lambda _: response.json({"ok": False, "error_code": 429, "description": "Too Many Requests"}, status=429),
            lambda _: response.json({"ok": False, "error_code": 429, "description": "Too Many Requests"}),
            lambda _: response.json({"ok": True, "result": {"message_id": "x"}}),
        ]
    }
    async with fake_platform(script) as zalo:
        output = make_input(zalo.url, sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": sentence * 60})
    texts = [c.json["text"] for c in zalo.calls if c.json.get("text")]
    assert output.outcomes == ["sent", "sent"]
    assert len(sleeps) == 2
    assert all(len(t) <= 2000 for t in texts)
    assert " ".join(texts[2:]) == (sentence * 60).strip()  # after two refused tries


async def test_a_refused_call_fails_without_retrying(sleeps) -> None:
    script = {"/sendMessage": [lambda _: response.json({"ok": False, "error_code": 400, "description": "bad"})]}
    async with fake_platform(script) as zalo:
        output = make_input(zalo.url, sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": "x"})
    assert output.outcomes == ["failed"]
    assert len(zalo.calls) == 1 and sleeps == []
