"""The web chat server: signed sessions, per-client limits, bounded bodies,
security headers, and a polite answer whatever Rasa does. Each attack test
asserts what the attacker now receives."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.testclient import TestClient

from settings import get_settings
from tests.support import LocalServer, QuietHandler
from webchat.headers import HEADERS
from webchat.server import (
    BUSY,
    MAX_BODY_BYTES,
    TOO_FAST,
    create_app,
)
from webchat.sessions import MAX_AGE_SECONDS, Sessions

KEY = "test-webchat-key-0123456789abcdef"
GREETING = "Dạ, em chào anh/chị."


class FakeRasa:
    """Rasa's REST channel: records what the relay sends, answers ``answer``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answer = json.dumps([{"text": GREETING}]).encode()
        rasa = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                rasa.received.append(self.read_json())
                self.reply(200, rasa.answer)

        self.server = LocalServer(Handler)
        self.url = self.server.url


@pytest.fixture(scope="module")
def rasa_server() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.server.close()


@pytest.fixture
def rasa(rasa_server: FakeRasa, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRasa]:
    rasa_server.received.clear()
    rasa_server.answer = json.dumps([{"text": GREETING}]).encode()
    monkeypatch.setenv("TTHC_RASA_URL", rasa_server.url)
    monkeypatch.setenv("TTHC_WEBCHAT_KEY", KEY)
    get_settings.cache_clear()
    yield rasa_server
    get_settings.cache_clear()


@pytest.fixture
def client(rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(create_app(), client=("203.0.113.1", 50000)) as client:
        yield client


def _session(client: TestClient) -> str:
    response = client.post("/api/session")
    assert response.status_code == 200, response.text
    return response.json()["session"]


def _web_id(token: str) -> str:
    return URLSafeTimedSerializer(KEY, salt="tthc.webchat.session").loads(token)


def test_page_is_served_with_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="vi"' in page.text
    assert client.get("/chat.js").status_code == 200


@pytest.mark.parametrize("path", ["/", "/chat.js", "/chat.css", "/no-such-file"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_api_answers_carry_them_too_and_are_never_cached(client):
    for response in (client.post("/api/session"), client.post("/api/chat", content=b"{}")):
        assert response.headers["content-security-policy"] == HEADERS["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


def test_the_page_has_no_inline_script_or_style(client):
    """What the Content-Security-Policy would block: the page must not need it."""
    found: list[str] = []

    class Inline(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = {name for name, _ in attrs}
            if tag == "style" or (tag == "script" and "src" not in names):
                found.append(tag)
            found.extend(name for name in names if name.startswith("on") or name == "style")

    Inline().feed(client.get("/").text)
    assert found == []


def test_a_session_is_relayed_as_a_server_chosen_web_conversation(client, rasa):
    token = _session(client)
    response = client.post("/api/chat", json={"session": token, "message": "xin chào"})
    assert response.status_code == 200
    assert response.json() == [{"text": GREETING}]
    assert rasa.received == [{"sender": f"web:{_web_id(token)}", "message": "xin chào"}]
    assert len(_web_id(token)) == 32  # 128 random bits, hex
    client.post("/api/chat", json={"session": _session(client), "message": "xin chào"})
    assert rasa.received[1]["sender"] != rasa.received[0]["sender"]


def test_a_client_chosen_sender_is_refused(client, rasa):
    """The old attack: name any conversation, or a fresh one for fresh tries."""
    response = client.post("/api/chat", json={"sender": "web:victim-conversation", "message": "6789"})
    assert response.status_code == 401
    assert "session is missing" in response.json()["error"]
    assert rasa.received == []


def _tampered(token: str) -> str:
    payload, rest = token.split(".", 1)
    return payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda token: URLSafeTimedSerializer("another-key-0123456789", salt="tthc.webchat.session").dumps("a" * 32),
         "not valid"),
        (lambda token: URLSafeTimedSerializer(KEY, salt="another-salt").dumps("a" * 32), "not valid"),
        (_tampered, "not valid"),
        (lambda token: token + "x", "not valid"),
        (lambda token: token.split(".")[0], "not valid"),
        (lambda token: "", "missing"),
        (lambda token: 12345, "missing"),
        (lambda token: [token], "missing"),
        (lambda token: token + "é", "not valid"),
        (lambda token: "\ud800" + token, "not valid"),
        (lambda token: token * 10, "not valid"),
        (lambda token: URLSafeTimedSerializer(KEY, salt="tthc.webchat.session").dumps("victim"), "not valid"),
    ],
    ids=["other-key", "other-salt", "tampered", "extended", "unsigned", "empty", "number", "list",
         "non-ascii", "surrogate", "too-long", "signed-non-random-id"],
)  # fmt: skip
def test_forged_or_tampered_sessions_are_refused(client, rasa, make, reason):
    body = json.dumps({"session": make(_session(client)), "message": "xin chào"})
    response = client.post("/api/chat", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert rasa.received == []


def test_an_expired_session_is_refused(client, rasa, monkeypatch):
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - MAX_AGE_SECONDS - 60)
        old = Sessions(KEY).new()
    response = client.post("/api/chat", json={"session": old, "message": "xin chào"})
    assert response.status_code == 401
    assert "expired" in response.json()["error"]
    assert rasa.received == []


@pytest.mark.parametrize(
    ("message", "status", "reason"),
    [
        ('"   "', 422, "message"),
        ("5", 422, "message"),
        ("null", 422, "message"),
        ('"' + "a" * 2001 + '"', 422, "longer"),
        ('"\\ud800 lone surrogate"', 422, "not valid text"),
        ('"' + "a" * 20000 + '"', 413, "too large"),
    ],
)
def test_bad_messages_get_a_reason(client, rasa, message, status, reason):
    body = f'{{"session": "{_session(client)}", "message": {message}}}'.encode()
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert rasa.received == []


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [(b"not json", 400, "not JSON"), (b"[1, 2]", 400, "JSON object"), (b"\xff\xfe", 400, "not JSON")],
)
def test_bad_bodies_get_a_reason(client, body, status, reason):
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert reason in response.json()["error"]


def test_a_chunked_body_over_the_limit_is_refused(client, rasa):
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(64):
            yield b"a" * 1024

    response = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert rasa.received == []


def test_an_endless_body_is_cut_off_after_the_limit(rasa):
    """Memory is not the issue: the relay stops reading a stream that never ends."""
    reads = 0

    async def receive() -> dict:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"a" * 1024, "more_body": True}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/chat", "raw_path": b"/api/chat", "root_path": "", "query_string": b"",
        "headers": [(b"content-type", b"application/json")], "client": ("203.0.113.7", 1), "server": ("test", 80),
    }  # fmt: skip
    asyncio.run(create_app()(scope, receive, send))
    assert sent[0]["status"] == 413
    assert reads <= MAX_BODY_BYTES // 1024 + 1


def test_a_declared_length_over_the_limit_is_refused_unread(client):
    response = client.post(
        "/api/chat", content=b"{}", headers={"content-type": "application/json", "content-length": "99999999"}
    )
    assert response.status_code == 413


def test_too_many_messages_from_one_client_get_429_and_others_are_not_affected(rasa):
    app = create_app()
    with TestClient(app, client=("203.0.113.10", 1)) as flood, TestClient(app, client=("203.0.113.11", 1)) as other:
        token = _session(flood)
        answers = [
            flood.post("/api/chat", json={"session": token, "message": "a"})
            for _ in range(get_settings().webchat_messages_per_minute)
        ]
        assert {a.status_code for a in answers} == {200}
        refused = flood.post("/api/chat", json={"session": token, "message": "a"})
        assert refused.status_code == 429
        assert refused.json() == {"error": TOO_FAST}
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert len(rasa.received) == get_settings().webchat_messages_per_minute
        answer = other.post("/api/chat", json={"session": _session(other), "message": "a"})
        assert answer.status_code == 200


def test_too_many_new_sessions_from_one_client_get_429_and_others_are_not_affected(rasa):
    app = create_app()
    with TestClient(app, client=("203.0.113.20", 1)) as flood, TestClient(app, client=("203.0.113.21", 1)) as other:
        assert {flood.post("/api/session").status_code for _ in range(get_settings().webchat_sessions_per_minute)} == {
            200
        }
        refused = flood.post("/api/session")
        assert refused.status_code == 429
        assert refused.json() == {"error": TOO_FAST}
        assert "session" not in refused.json()
        assert int(refused.headers["retry-after"]) >= 1
        assert other.post("/api/session").status_code == 200


def test_forgery_attempts_count_against_the_limit(rasa):
    with TestClient(create_app(), client=("203.0.113.30", 1)) as client:
        for _ in range(get_settings().webchat_messages_per_minute):
            assert client.post("/api/chat", json={"session": "guess", "message": "a"}).status_code == 401
        assert client.post("/api/chat", json={"session": "guess", "message": "a"}).status_code == 429


def test_rasa_saying_nothing_gives_the_busy_text_not_silence(client, rasa):
    for answer in (b"[]", b'[{"custom": {"x": 1}}]', b'[{"text": "  "}]', b'{"text": "not a list"}', b"5"):
        rasa.answer = answer
        response = client.post("/api/chat", json={"session": _session(client), "message": "xin chào"})
        assert response.status_code == 200
        assert response.json() == [{"text": BUSY}]


def test_rasa_answering_garbage_gives_the_busy_text(client, rasa):
    rasa.answer = b"not json"
    response = client.post("/api/chat", json={"session": _session(client), "message": "xin chào"})
    assert response.status_code == 503
    assert response.json()["error"] == BUSY


def test_rasa_down_gives_a_polite_vietnamese_message(rasa, monkeypatch):
    monkeypatch.setenv("TTHC_RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        response = client.post("/api/chat", json={"session": _session(client), "message": "xin chào"})
    assert response.status_code == 503
    assert response.json()["error"] == BUSY


def test_only_what_the_page_renders_is_relayed(client, rasa):
    rasa.answer = json.dumps(
        [
            {
                "recipient_id": "web:x",
                "text": "<b>Dạ</b>",
                "buttons": [{"title": "Lệ phí", "payload": "/x", "type": "postback"}, {"title": 1}],
            },
            {"buttons": "not a list", "text": "ok"},
            {"text": "\ud800 a lone surrogate", "buttons": [{"title": "\udfff", "payload": "/x"}]},
        ]
    ).encode()
    response = client.post("/api/chat", json={"session": _session(client), "message": "xin chào"})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {"text": "<b>Dạ</b>", "buttons": [{"title": "Lệ phí", "payload": "/x"}]},
        {"text": "ok"},
    ]


def test_without_a_key_sessions_work_until_a_restart(rasa, monkeypatch, caplog):
    monkeypatch.delenv("TTHC_WEBCHAT_KEY")
    monkeypatch.setenv("TTHC_ENV", "production")  # no key is generated under var/secrets
    get_settings.cache_clear()
    with TestClient(create_app()) as first:
        token = _session(first)
        assert first.post("/api/chat", json={"session": token, "message": "a"}).status_code == 200
    assert "will not survive a restart" in caplog.text
    with TestClient(create_app()) as restarted:
        assert restarted.post("/api/chat", json={"session": token, "message": "a"}).status_code == 401


def test_staff_updates_need_a_valid_session_and_a_number(client):
    session = client.post("/api/session").json()["session"]
    assert client.post("/api/updates", json={"session": "forged", "after": 0}).status_code == 401
    for after in ("0", None, True, float("inf")):
        body = json.dumps({"session": session, "after": after}, allow_nan=True)
        answer = client.post("/api/updates", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422, after
    # Never handed over (or the handoffs unreadable): nothing, without asking Rasa.
    assert client.post("/api/updates", json={"session": session, "after": 0}).json() == {"messages": [], "after": 0}
