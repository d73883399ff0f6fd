"""Zalo OA webhook: recorded events, signatures, duplicates, bad bodies."""

from __future__ import annotations

import json

import pytest

from channels.webhook import MAX_BODY_BYTES, UNSUPPORTED_MEDIA
from channels.zalo_oa import GREET

from .conftest import fake_platform, payload, serve_channel
from .zalo_oa_support import CONVERSATION, NOW, OA_SECRET, SEND, USER_ID, make_input, signed, zalo_ok

BUTTONS = [
    {"title": "Giấy tờ cần chuẩn bị", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "documents"}'},
    {"title": "Lệ phí", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "fees"}'},
]


async def test_signed_text_reaches_rasa_in_the_zalo_users_conversation(tmp_path, sleeps) -> None:
    body = payload("zalo_oa_user_send_text.json")
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        answer = await server.post(body, signed(body))
    assert answer.status_code == 200
    [message] = server.agent.messages
    assert message.sender_id == CONVERSATION == f"zalo_oa:{USER_ID}"
    assert message.text == "làm giấy khai sinh cho con cần giấy tờ gì ạ"
    assert message.input_channel == "zalo_oa"
    assert message.message_id == "96d3cdf3af150460909"


async def test_the_short_code_reaches_rasa_as_sent(tmp_path, sleeps) -> None:
    body = payload("zalo_oa_user_send_code.json")
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        await server.post(body, signed(body))
    assert server.agent.texts == ["#KS"]


async def test_missing_or_bad_signature_is_refused_and_nothing_processed(tmp_path, sleeps) -> None:
    body = payload("zalo_oa_user_send_text.json")
    tampered = body.replace(b"khai sinh", "khai tử".encode())
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        missing = await server.post(body)
        wrong_key = await server.post(body, signed(body, secret="not-the-secret"))
        replayed_on_other_body = await server.post(tampered, signed(body))
        garbage = await server.post(body, {"X-ZEvent-Signature": "mac=zzz"})
    assert [r.status_code for r in (missing, wrong_key, replayed_on_other_body, garbage)] == [401, 401, 401, 401]
    assert server.agent.messages == []
    assert zalo.calls == []


@pytest.mark.parametrize(
    ("clock", "status"),
    [
        (NOW + 11 * 60, 401),  # a captured event replayed eleven minutes later
        (NOW + 9 * 60, 200),  # a late redelivery within the window
        (NOW - 3 * 60, 401),  # an event stamped three minutes ahead of our clock
        (NOW - 60, 200),  # small clock skew
    ],
)
async def test_only_recent_events_are_taken(tmp_path, sleeps, clock: float, status: int) -> None:
    body = payload("zalo_oa_user_send_text.json")  # stamped at NOW (to the second)
    async with (
        fake_platform({SEND: [zalo_ok]}) as zalo,
        serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps, clock=clock)) as server,
    ):
        answer = await server.post(body, signed(body))
    assert answer.status_code == status
    assert len(server.agent.messages) == (1 if status == 200 else 0)


async def test_a_timestamp_that_is_not_milliseconds_is_refused(tmp_path, sleeps) -> None:
    """Even signed over its own ``str()``: only a string of ASCII digits is a Zalo timestamp."""
    bodies = [
        payload("zalo_oa_user_send_text.json").replace(b'"1700000000123"', stamp)
        for stamp in (b'"1700000000123.5"', '"١٧٠٠٠٠٠٠٠٠١٢٣"'.encode(), b"null", b'{"a": 1}', b"true")
    ]
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        statuses = [(await server.post(body, signed(body))).status_code for body in bodies]
    assert statuses == [401] * len(bodies)
    assert server.agent.messages == []


async def test_a_redelivered_event_is_processed_once(tmp_path, sleeps) -> None:
    body = payload("zalo_oa_user_send_text.json")
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        first = await server.post(body, signed(body))
        again = await server.post(body, signed(body))
    assert first.status_code == again.status_code == 200
    assert len(server.agent.messages) == 1


async def test_oversized_and_malformed_bodies_are_4xx_and_the_webhook_keeps_working(tmp_path, sleeps) -> None:
    big = b'{"timestamp": "1", "pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    good = payload("zalo_oa_user_send_text.json")
    well_formed = {"X-ZEvent-Signature": "mac=" + "0" * 64}  # so that the body is read
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:
        too_big = await server.post(big, well_formed)
        not_json = await server.post(b'{"event_name": "user_send_te', well_formed)
        not_utf8 = await server.post(b"\xff\xfe{}", well_formed)
        a_list = await server.post(b"[1, 2]", well_formed)
        after = await server.post(good, signed(good))
    assert too_big.status_code == 413
    assert [r.status_code for r in (not_json, not_utf8, a_list)] == [400, 400, 400]
    assert after.status_code == 200
    assert len(server.agent.messages) == 1


async def test_follow_greets_and_unfollow_or_echoes_do_nothing(tmp_path, sleeps) -> None:
    greeting = {"text": "Dạ, em chào anh/chị ạ."}
    async with (
        fake_platform({SEND: [zalo_ok]}) as zalo,
        serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps), reply=greeting) as server,
    ):
        for name in ("zalo_oa_follow.json", "zalo_oa_unfollow.json", "zalo_oa_oa_send_text.json"):
            body = payload(name)
            assert (await server.post(body, signed(body))).status_code == 200
    assert [(m.sender_id, m.text) for m in server.agent.messages] == [(CONVERSATION, GREET)]
    assert [c.json for c in zalo.to(SEND)] == [{"recipient": {"user_id": USER_ID}, "message": greeting}]


async def test_images_and_stickers_get_a_polite_note_and_do_not_reach_rasa(tmp_path, sleeps) -> None:
    async with (
        fake_platform({SEND: [zalo_ok]}) as zalo,
        serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server,
    ):
        for name in ("zalo_oa_user_send_image.json", "zalo_oa_user_send_sticker.json"):
            body = payload(name)
            assert (await server.post(body, signed(body))).status_code == 200
    assert server.agent.messages == []
    note = {"recipient": {"user_id": USER_ID}, "message": {"text": UNSUPPORTED_MEDIA}}
    assert [c.json for c in zalo.to(SEND)] == [note, note]
    assert OA_SECRET not in str(zalo.calls)


async def test_a_typed_number_picks_the_option_of_the_last_answer(tmp_path, sleeps) -> None:
    question = payload("zalo_oa_user_send_text.json")
    choice = payload("zalo_oa_user_send_number.json")
    reply = {"text": "Dạ, anh/chị muốn biết thêm gì ạ?", "buttons": BUTTONS}
    async with (
        fake_platform({SEND: [zalo_ok]}) as zalo,
        serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps), reply=reply) as server,
    ):
        await server.post(question, signed(question))
        await server.post(choice, signed(choice))
    assert server.agent.texts[1] == BUTTONS[1]["payload"]
    shown = zalo.to(SEND)[0].json["message"]["text"]
    assert "1. Giấy tờ cần chuẩn bị\n2. Lệ phí" in shown


async def test_the_webhook_answers_before_rasa_has_finished(tmp_path, sleeps) -> None:
    """The 200 does not wait for Rasa: a blocked agent still gets a quick answer."""
    import asyncio

    body = payload("zalo_oa_user_send_text.json")
    release = asyncio.Event()
    async with fake_platform() as zalo, serve_channel(make_input(zalo.url, tmp_path / "t.json", sleeps)) as server:

        async def slow(message) -> None:
            await release.wait()
            server.agent.messages.append(message)

        server.agent.handle_message = slow  # type: ignore[method-assign]
        answer = await server.http.post(f"{server.url}/webhooks/zalo_oa/webhook", content=body, headers=signed(body))
        assert answer.status_code == 200
        assert json.loads(answer.text) == {"status": "ok"}
        assert server.agent.messages == []
        release.set()
        await server.channel.background.drain()
    assert len(server.agent.messages) == 1
