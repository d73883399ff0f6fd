"""Zalo OA sending, against a local stand-in of Zalo's API: bodies, splitting,
options, token refresh and rotation, back-off, the interaction window."""

from __future__ import annotations

import json
import logging
import os

import httpx
import pytest

import channels.zalo_tokens as zalo_tokens
from channels.render import TYPE_A_NUMBER
from channels.zalo_tokens import TokenFile, TokenPair

from .conftest import Call, fake_platform
from .zalo_oa_support import (
    APP_ID,
    APP_SECRET,
    CONVERSATION,
    REFRESH,
    SEND,
    USER_ID,
    http_status,
    make_input,
    new_pair,
    zalo_error,
    zalo_ok,
)

REAL_REPLACE = os.replace  # the tests below patch os.replace itself
SENTENCE = "Anh/chị mang bản chính giấy chứng sinh và căn cước của cha hoặc mẹ đến bộ phận một cửa. "


async def test_text_and_image_bodies_are_exactly_what_zalo_expects(tmp_path, sleeps) -> None:
    async with fake_platform({SEND: [zalo_ok]}) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        await output.send_response(
            CONVERSATION, {"text": "Dạ, lệ phí là 0 đồng ạ.", "image": "https://example.gov.vn/a.png"}
        )
    text, image = zalo.to(SEND)
    assert text.json == {"recipient": {"user_id": USER_ID}, "message": {"text": "Dạ, lệ phí là 0 đồng ạ."}}
    assert image.json == {
        "recipient": {"user_id": USER_ID},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "image", "url": "https://example.gov.vn/a.png"}],
                },
            }
        },
    }
    assert text.headers["access_token"] == "access-1"
    assert output.outcomes == ["sent", "sent"]


async def test_long_texts_are_split_at_2000_characters_on_sentences(tmp_path, sleeps) -> None:
    long_text = SENTENCE * 50  # about 4,500 characters
    async with fake_platform({SEND: [zalo_ok]}) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": long_text})
    sent = [c.json["message"]["text"] for c in zalo.to(SEND)]
    assert len(sent) == 3
    assert all(len(t) <= 2000 and t.endswith("bộ phận một cửa.") for t in sent)
    assert " ".join(sent) == long_text.strip()


async def test_buttons_become_numbered_options(tmp_path, sleeps) -> None:
    buttons = [
        {"title": "Giấy tờ cần chuẩn bị", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "documents"}'},
        {"title": "Không phải, thủ tục khác", "payload": "/help"},
    ]
    async with fake_platform({SEND: [zalo_ok]}) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        question = "Dạ, có phải anh/chị hỏi về khai sinh không ạ?"
        await output.send_response(CONVERSATION, {"text": question, "buttons": buttons})
    [call] = zalo.to(SEND)
    assert call.json["message"]["text"] == (
        "Dạ, có phải anh/chị hỏi về khai sinh không ạ?\n\n"
        f"1. Giấy tờ cần chuẩn bị\n2. Không phải, thủ tục khác\n{TYPE_A_NUMBER}"
    )


async def test_an_invalid_token_is_refreshed_saved_before_use_and_rotated(tmp_path, sleeps) -> None:
    token_file = tmp_path / "tokens.json"
    on_disk_when_used: list[dict] = []

    def remember_disk_then_ok(call: Call):
        if call.headers["access_token"] != "access-1":
            on_disk_when_used.append(json.loads(token_file.read_text()))
        return zalo_ok()

    script = {
        SEND: [zalo_error(-216), remember_disk_then_ok, zalo_error(-220), remember_disk_then_ok],
        REFRESH: [new_pair("access-2", "refresh-2"), new_pair("access-3", "refresh-3")],
    }
    async with fake_platform(script) as zalo:
        channel = make_input(zalo.url, token_file, sleeps)
        await channel.get_output_channel().send_response(CONVERSATION, {"text": "Một"})
        await channel.get_output_channel().send_response(CONVERSATION, {"text": "Hai"})
    first_refresh, second_refresh = zalo.to(REFRESH)
    assert first_refresh.form == {"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token"}
    assert first_refresh.headers["secret_key"] == APP_SECRET
    assert second_refresh.form["refresh_token"] == "refresh-2"  # the rotated one, never the spent one
    assert [c.headers["access_token"] for c in zalo.to(SEND)] == ["access-1", "access-2", "access-2", "access-3"]
    assert [d["access_token"] for d in on_disk_when_used] == ["access-2", "access-3"]  # saved before use
    saved = TokenFile(token_file).load()
    assert (saved.access_token, saved.refresh_token) == ("access-3", "refresh-3")
    assert saved.expires_at is not None
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]  # no temporary file left


class Crash(BaseException):
    """The process dying (not an error anyone handles)."""


async def test_a_crash_between_refresh_and_save_keeps_the_refresh_token(tmp_path, sleeps, monkeypatch) -> None:
    token_file = tmp_path / "tokens.json"
    TokenFile(token_file).save(TokenPair("access-1", "refresh-1"))

    def crash(*_: object) -> None:
        raise Crash

    monkeypatch.setattr(zalo_tokens.os, "replace", crash)
    script = {SEND: [zalo_error(-216), zalo_ok], REFRESH: [new_pair("access-2", "refresh-2")]}
    async with fake_platform(script) as zalo:
        with pytest.raises(Crash):
            output = make_input(zalo.url, token_file, sleeps).get_output_channel()
            await output.send_response(CONVERSATION, {"text": "x"})
    assert [c.headers["access_token"] for c in zalo.to(SEND)] == ["access-1"]  # the new token was never used
    monkeypatch.setattr(zalo_tokens.os, "replace", REAL_REPLACE)
    # After the restart the file still holds a complete pair: the old one, untouched.
    after_restart = TokenFile(token_file).load()
    assert (after_restart.access_token, after_restart.refresh_token) == ("access-1", "refresh-1")
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]


async def test_a_failed_save_keeps_the_new_pair_and_saves_it_before_use(tmp_path, sleeps, monkeypatch) -> None:
    token_file = tmp_path / "tokens.json"
    TokenFile(token_file).save(TokenPair("access-1", "refresh-1"))
    failures = iter([OSError(28, "No space left on device")])

    def replace_once_failing(source: str, target: str) -> None:
        error = next(failures, None)
        if error:
            raise error
        REAL_REPLACE(source, target)

    monkeypatch.setattr(zalo_tokens.os, "replace", replace_once_failing)
    script = {SEND: [zalo_error(-216), zalo_ok], REFRESH: [new_pair("access-2", "refresh-2")]}
    async with fake_platform(script) as zalo:
        channel = make_input(zalo.url, token_file, sleeps)
        first = channel.get_output_channel()
        await first.send_response(CONVERSATION, {"text": "x"})
        assert first.outcomes == ["failed"]
        assert TokenFile(token_file).load().refresh_token == "refresh-1"  # old pair until the new one is saved
        second = channel.get_output_channel()
        await second.send_response(CONVERSATION, {"text": "y"})
    assert second.outcomes == ["sent"]
    assert len(zalo.to(REFRESH)) == 1  # the pending pair was saved, not refreshed again
    assert [c.headers["access_token"] for c in zalo.to(SEND)] == ["access-1", "access-2"]
    assert TokenFile(token_file).load().refresh_token == "refresh-2"


async def test_rate_limits_back_off_then_succeed(tmp_path, sleeps) -> None:
    script = {SEND: [http_status(429), zalo_error(-32), http_status(429, {"Retry-After": "3"}), zalo_ok]}
    async with fake_platform(script) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": "x"})
    assert output.outcomes == ["sent"]
    assert len(zalo.to(SEND)) == 4
    assert len(sleeps) == 3
    assert 0 < sleeps[0] < sleeps[1]  # exponential
    assert sleeps[2] == 3.0  # Zalo's hint


async def test_server_errors_are_retried_then_given_up(tmp_path, sleeps) -> None:
    async with fake_platform({SEND: [http_status(503)]}) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": SENTENCE * 30})  # two parts
    assert output.outcomes == ["failed", "skipped"]
    assert len(zalo.to(SEND)) == 4  # attempts of the first part only
    assert len(sleeps) == 3


async def test_timeouts_are_retried(tmp_path, sleeps) -> None:
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.headers["access_token"])
        if len(attempts) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"error": 0})

    output = make_input(
        "http://127.0.0.1:9", tmp_path / "t.json", sleeps, transport=httpx.MockTransport(handler)
    ).get_output_channel()
    await output.send_response(CONVERSATION, {"text": "x"})
    assert output.outcomes == ["sent"]
    assert len(attempts) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("code", [-230, -232])
async def test_outside_the_window_is_recorded_and_not_retried(tmp_path, sleeps, caplog, code) -> None:
    caplog.set_level(logging.INFO)
    async with fake_platform({SEND: [zalo_error(code)]}) as zalo:
        output = make_input(zalo.url, tmp_path / "t.json", sleeps).get_output_channel()
        await output.send_response(CONVERSATION, {"text": SENTENCE * 30, "image": "https://example.gov.vn/a.png"})
        await output.send_response(CONVERSATION, {"text": "Còn nữa"})
    assert output.outcomes == ["outside_window", "skipped", "skipped", "skipped"]
    assert len(zalo.to(SEND)) == 1
    assert sleeps == []
    assert "outside the interaction window" in caplog.text
    assert USER_ID not in caplog.text and "bộ phận" not in caplog.text


async def test_logs_carry_no_text_token_or_user_id(tmp_path, sleeps, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    script = {SEND: [zalo_error(-216), http_status(500), zalo_ok], REFRESH: [new_pair("access-2", "refresh-2")]}
    async with fake_platform(script) as zalo:
        channel = make_input(zalo.url, tmp_path / "t.json", sleeps)
        await channel.get_output_channel().send_response(CONVERSATION, {"text": "Số điện thoại của tôi là 0912345678"})
    logged = caplog.text
    for secret in ("access-1", "access-2", "refresh-1", "refresh-2", APP_SECRET, USER_ID, "0912345678"):
        assert secret not in logged
