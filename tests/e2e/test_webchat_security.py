"""Attacks on the running web chat relay (uvicorn in front of the real Rasa),
and what the attacker now receives: server-chosen signed conversations,
per-client limits behind a local proxy, bodies cut off at the limit, and
security headers on every response."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
from itsdangerous import URLSafeTimedSerializer

from channels.ids import conversation_id
from settings import get_settings
from tests.e2e.conftest import Stack
from webchat.headers import HEADERS
from webchat.server import MAX_BODY_BYTES, TOO_FAST

_addresses = itertools.count(1)


def _address() -> dict[str, str]:
    """A client address of its own: the relay trusts X-Forwarded-For from
    127.0.0.1, as from the local reverse proxy."""
    return {"X-Forwarded-For": f"198.51.100.{next(_addresses)}"}


def _session(stack: Stack, headers: dict[str, str]) -> str:
    response = httpx.post(f"{stack.webchat_url}/api/session", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["session"]


def _say(stack: Stack, headers: dict[str, str], **body: object) -> httpx.Response:
    return httpx.post(f"{stack.webchat_url}/api/chat", json=body, headers=headers, timeout=60)


def _said(stack: Stack, sender: str) -> list[str]:
    """What Rasa heard in a conversation (asking creates it, empty, if it did not exist)."""
    tracker = httpx.get(stack.api(f"/conversations/{sender}/tracker"), timeout=10)
    assert tracker.status_code == 200, tracker.text
    return [event["text"] for event in tracker.json()["events"] if event["event"] == "user"]


def test_the_relay_talks_to_rasa_as_a_conversation_the_server_chose(stack: Stack):
    headers = _address()
    token = _session(stack, headers)
    replies = _say(stack, headers, session=token, message="xin chào")
    assert replies.status_code == 200 and replies.json()
    web_id = URLSafeTimedSerializer("").loads_unsafe(token)[1]  # signed, not secret: the id alone is useless
    assert _said(stack, conversation_id("web", web_id)) == ["xin chào"]


def test_a_client_cannot_name_a_conversation(stack: Stack):
    headers = _address()
    victim = "web:someone-elses-conversation"
    for body in ({"sender": victim, "message": "6789"}, {"session": victim, "message": "6789"}):
        refused = _say(stack, headers, **body)
        assert refused.status_code == 401
        assert "session" in refused.json()["error"]
    assert _said(stack, victim) == []  # nothing reached Rasa under that name


def test_a_session_signed_with_another_key_is_refused(stack: Stack):
    forged = URLSafeTimedSerializer("a-guessed-key-0123456789", salt="tthc.webchat.session").dumps("0" * 32)
    refused = _say(stack, _address(), session=forged, message="xin chào")
    assert refused.status_code == 401
    assert refused.json() == {"error": "session is not valid"}


def test_new_sessions_are_limited_per_client_behind_the_proxy(stack: Stack):
    flood, other = _address(), _address()
    for _ in range(get_settings().webchat_sessions_per_minute):
        _session(stack, flood)
    refused = httpx.post(f"{stack.webchat_url}/api/session", headers=flood, timeout=10)
    assert refused.status_code == 429
    assert refused.json() == {"error": TOO_FAST}
    assert int(refused.headers["retry-after"]) >= 1
    _session(stack, other)  # another citizen behind the same proxy is not affected


def test_a_streamed_body_is_cut_off_at_the_limit(stack: Stack):
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(4 * MAX_BODY_BYTES // 1024):
            yield b"a" * 1024

    response = httpx.post(f"{stack.webchat_url}/api/chat", content=chunks(), headers=_address(), timeout=10)
    assert response.status_code == 413
    assert response.json() == {"error": "body too large"}


def test_every_answer_carries_the_security_headers(stack: Stack):
    headers = _address()
    for response in (
        httpx.get(f"{stack.webchat_url}/"),
        httpx.get(f"{stack.webchat_url}/chat.js"),
        httpx.get(f"{stack.webchat_url}/missing"),
        httpx.post(f"{stack.webchat_url}/api/session", headers=headers),
        _say(stack, headers, message="xin chào"),
    ):
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
