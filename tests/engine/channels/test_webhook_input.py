"""What every platform connector does the same way (``channels.webhook.WebhookInput``),
run against each of them: id spaces, no silence, restarts, hostile bodies, shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from channels.deliveries import Deliveries, deliveries_path
from channels.ids import conversation_id
from channels.webhook import BUSY, MAX_TEXT_CHARS, TOO_LONG
from settings import ROOT, get_settings

from .conftest import fake_platform, serve_channel
from .platforms import ALL, TELEGRAM, ZALO_OA, PlatformCase

REPLY = {"text": "Dạ, lệ phí là 0 đồng ạ."}
QUESTION = "lệ phí khai sinh bao nhiêu"

each_platform = pytest.mark.parametrize("case", ALL, ids=str)


async def test_the_same_number_on_zalo_and_telegram_is_two_conversations(tmp_path) -> None:
    same = "5021873344"
    seen: dict[str, list[str]] = {}
    for case in (ZALO_OA, TELEGRAM):
        body = case.text(same, QUESTION, 1)
        async with (
            fake_platform(default=case.answer) as api,
            serve_channel(case.make(api.url, tmp_path), reply=REPLY) as server,
        ):
            assert (await server.post(body, case.headers(body))).status_code == 200
        seen[case.name] = [m.sender_id for m in server.agent.messages]
        assert case.sent(api) == [(same, REPLY["text"])]  # the reply went to the platform's own id
    assert seen == {"zalo_oa": ["zalo_oa:5021873344"], "telegram": ["telegram:5021873344"]}


@each_platform
async def test_rasa_gets_the_conversation_id_and_the_reply_goes_to_the_platform_id(
    case: PlatformCase, tmp_path
) -> None:
    body = case.text(case.user, QUESTION, 1)
    async with (
        fake_platform(default=case.answer) as api,
        serve_channel(case.make(api.url, tmp_path), reply=REPLY) as server,
    ):
        await server.post(body, case.headers(body))
    [message] = server.agent.messages
    assert (message.sender_id, message.input_channel) == (conversation_id(case.name, case.user), case.name)
    assert case.sent(api) == [(case.user, REPLY["text"])]


@each_platform
async def test_an_output_channel_refuses_another_channels_conversation(case: PlatformCase, tmp_path, caplog) -> None:
    others = [f"{other.name}:{case.user}" for other in ALL if other is not case] + [case.user, f"{case.name}:"]
    async with fake_platform(default=case.answer) as api:
        output = case.make(api.url, tmp_path).get_output_channel()
        for conversation in others:
            await output.send_response(conversation, REPLY)
    assert api.calls == []
    assert output.outcomes == ["refused"] * len(others)
    assert "conversation of another channel" in caplog.text
    assert case.user not in caplog.text


@each_platform
@pytest.mark.parametrize("rasa", ["silent", "failing"])
async def test_a_turn_without_any_bot_message_ends_with_the_busy_notice(
    case: PlatformCase, rasa: str, tmp_path
) -> None:
    """The action server is down (Rasa sends nothing) or Rasa itself fails: the citizen still hears back."""
    body = case.text(case.user, QUESTION, 1)
    async with fake_platform(default=case.answer) as api, serve_channel(case.make(api.url, tmp_path)) as server:

        async def handle_message(message) -> None:
            server.agent.messages.append(message)
            if rasa == "failing":
                raise RuntimeError("the agent failed")

        server.agent.handle_message = handle_message  # type: ignore[method-assign]
        assert (await server.post(body, case.headers(body))).status_code == 200
    assert len(server.agent.messages) == 1
    assert case.sent(api) == [(case.user, BUSY)]


@each_platform
async def test_no_busy_notice_when_rasa_answered(case: PlatformCase, tmp_path) -> None:
    body = case.text(case.user, QUESTION, 1)
    async with (
        fake_platform(default=case.answer) as api,
        serve_channel(case.make(api.url, tmp_path), reply=REPLY) as server,
    ):
        await server.post(body, case.headers(body))
    assert [text for _, text in case.sent(api)] == [REPLY["text"]]


@each_platform
async def test_a_replay_after_a_restart_does_not_reach_rasa(case: PlatformCase, tmp_path) -> None:
    body = case.text(case.user, QUESTION, 7)
    other = case.text(case.user, "còn giấy tờ thì sao", 8)
    database = tmp_path / "deliveries.db"
    async with fake_platform(default=case.answer) as api:
        async with serve_channel(case.make(api.url, tmp_path, Deliveries(database)), reply=REPLY) as before:
            assert (await before.post(body, case.headers(body))).status_code == 200
        async with serve_channel(case.make(api.url, tmp_path, Deliveries(database)), reply=REPLY) as after:
            replayed = await after.post(body, case.headers(body))
            new = await after.post(other, case.headers(other))
    assert replayed.status_code == new.status_code == 200
    assert before.agent.texts == [QUESTION]
    assert after.agent.texts == ["còn giấy tờ thì sao"]  # the replay reached nobody
    assert [text for _, text in case.sent(api)] == [REPLY["text"], REPLY["text"]]


@each_platform
async def test_a_text_over_the_limit_gets_a_polite_refusal_and_never_reaches_rasa(case: PlatformCase, tmp_path) -> None:
    longest = "Dạ " + "x" * (MAX_TEXT_CHARS - 3)
    too_long = longest + "y"
    async with (
        fake_platform(default=case.answer) as api,
        serve_channel(case.make(api.url, tmp_path), reply=REPLY) as server,
    ):
        for number, text in enumerate((too_long, "ab " * 20_000, longest)):
            body = case.text(case.user, text, number + 1)
            assert (await server.post(body, case.headers(body))).status_code == 200
    assert server.agent.texts == [longest]
    assert case.sent(api) == [(case.user, TOO_LONG), (case.user, TOO_LONG), (case.user, REPLY["text"])]


@each_platform
async def test_deeply_nested_bodies_are_400_not_500(case: PlatformCase, tmp_path) -> None:
    good = case.text(case.user, QUESTION, 1)
    headers = case.headers(good)  # well formed, so the body is read (Zalo OA: not this body's signature)
    deep_arrays = b'{"timestamp": "1700000005000", "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    deep_objects = b'{"a":' * 200 + b"1" + b"}" * 200
    async with fake_platform(default=case.answer) as api, serve_channel(case.make(api.url, tmp_path)) as server:
        statuses = [(await server.post(body, headers)).status_code for body in (deep_arrays, deep_objects)]
        after = await server.post(good, headers)
    assert statuses == [400, 400]
    assert after.status_code == 200
    assert len(server.agent.messages) == 1


@each_platform
@pytest.mark.parametrize(
    "header", [b"mac=\xe9", b"\xff\xfe", "mac=é".encode() * 8, b"mac=" + b"z" * 64, b"sha256=" + b"0" * 64]
)
async def test_non_ascii_or_malformed_secret_headers_are_401_not_500(
    case: PlatformCase, header: bytes, tmp_path
) -> None:
    body = case.text(case.user, QUESTION, 1)
    [name] = case.headers(body)
    async with fake_platform(default=case.answer) as api, serve_channel(case.make(api.url, tmp_path)) as server:
        answer = await server.post(body, {name: header})
    assert answer.status_code == 401
    assert server.agent.messages == [] and api.calls == []


@each_platform
async def test_work_acknowledged_before_shutdown_is_finished(case: PlatformCase, tmp_path) -> None:
    body = case.text(case.user, QUESTION, 1)
    async with fake_platform(default=case.answer) as api:
        async with serve_channel(case.make(api.url, tmp_path), reply=REPLY) as server:
            answer_rasa = server.agent.handle_message

            async def slow(message) -> None:
                await asyncio.sleep(0.3)
                await answer_rasa(message)

            server.agent.handle_message = slow  # type: ignore[method-assign]
            acknowledged = await server.http.post(
                f"{server.url}/webhooks/{case.name}/webhook", content=body, headers=case.headers(body)
            )
            assert acknowledged.status_code == 200
            assert server.agent.messages == []
        # Leaving the block stopped the server: its before_server_stop listener waited for the turn.
        assert server.agent.texts == [QUESTION]
        assert case.sent(api) == [(case.user, REPLY["text"])]


async def test_draining_at_shutdown_is_bounded(tmp_path, caplog) -> None:
    body = ZALO_OA.text(ZALO_OA.user, QUESTION, 1)
    channel = ZALO_OA.make("http://127.0.0.1:9", tmp_path)
    channel.drain_seconds = 0.2
    async with serve_channel(channel) as server:

        async def stuck(_message) -> None:
            await asyncio.Event().wait()

        server.agent.handle_message = stuck  # type: ignore[method-assign]
        await server.http.post(f"{server.url}/webhooks/zalo_oa/webhook", content=body, headers=ZALO_OA.headers(body))
        started = asyncio.get_running_loop().time()
    assert asyncio.get_running_loop().time() - started < 2
    assert "1 messages still in progress at shutdown were dropped" in caplog.text
    assert await channel.background.drain(0) == 0


def test_the_delivery_memory_expires_and_keeps_channels_apart(tmp_path) -> None:
    now = [1000.0]
    deliveries = Deliveries(tmp_path / "d.db", ttl=60, clock=lambda: now[0])
    assert deliveries.first_time("zalo_oa", "m1")
    assert not deliveries.first_time("zalo_oa", "m1")
    assert deliveries.first_time("telegram", "m1")
    now[0] += 61
    assert deliveries.first_time("zalo_oa", "m1")


def test_an_unusable_delivery_memory_takes_the_delivery(tmp_path, caplog) -> None:
    caplog.set_level(logging.ERROR)
    (tmp_path / "d.db").mkdir()  # a directory where the file should be
    deliveries = Deliveries(tmp_path / "d.db")
    assert deliveries.first_time("zalo_oa", "m1")
    assert deliveries.first_time("zalo_oa", "m1")
    assert "delivery memory unavailable" in caplog.text


def test_the_delivery_memory_file_is_configurable(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TTHC_DELIVERIES_DB", raising=False)
    get_settings.cache_clear()
    assert deliveries_path() == ROOT / "var" / "deliveries.db"
    monkeypatch.setenv("TTHC_DELIVERIES_DB", str(tmp_path / "seen.db"))
    get_settings.cache_clear()
    assert deliveries_path() == tmp_path / "seen.db"
    assert Deliveries(deliveries_path()).first_time("telegram", "1")
    assert (tmp_path / "seen.db").is_file()
