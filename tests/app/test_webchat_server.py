"""The web chat server validates every request and never leaks an error."""

import pytest
from starlette.testclient import TestClient

from channels.webchat.server import BUSY, create_app
from settings import get_settings


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("TTHC_RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client
    get_settings.cache_clear()


def test_page_is_served_with_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="vi"' in page.text
    assert client.get("/chat.js").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"sender": "x", "message": "hi"}', 422, "sender"),
        (b'{"sender": "abcdefgh12", "message": "   "}', 422, "message"),
        (b'{"sender": "abcdefgh12", "message": 5}', 422, "message"),
        (b'{"sender": "abcdefgh12", "message": "' + b"a" * 2001 + b'"}', 422, "longer"),
        (b'{"sender": "abcdefgh12", "message": "' + b"a" * 20000 + b'"}', 413, "too large"),
    ],
)
def test_bad_requests_get_a_reason(client, body, status, reason):
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert reason in response.json()["error"]


def test_rasa_down_gives_a_polite_vietnamese_message(client):
    response = client.post("/api/chat", json={"sender": "abcdefgh12", "message": "xin chào"})
    assert response.status_code == 503
    assert response.json()["error"] == BUSY
