"""Fuzzing the web relay: whatever a client or Rasa sends, the relay answers
JSON (never a 500, never HTML a browser could render), and a reply carries
the citizen's text back as JSON data only, for the page to show with
``textContent``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from settings import get_settings
from tests.support import LocalServer, QuietHandler
from webchat.limits import RateLimit
from webchat.server import create_app

CLIENT_ERRORS = {400, 401, 413, 422}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text, and text with lone surrogates, which JSON can escape ("\ud800");
# st.text() never draws them, so they are drawn as characters and joined.
with_surrogates = st.lists(st.characters() | st.characters(categories=["Cs"]), max_size=50).map("".join)
any_text = st.text(max_size=300) | with_surrogates
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)
# What Rasa's REST channel answers, with the fields the relay reads mixed in.
buttons = st.lists(st.dictionaries(st.sampled_from(["title", "payload", "type"]), any_text | json_values), max_size=3)
rasa_replies = st.lists(
    st.dictionaries(st.sampled_from(["text", "image", "buttons", "custom"]), any_text | buttons | json_values),
    max_size=4,
)


class EchoRasa:
    """Answers a message with itself as text and as a button, or with ``answer`` when set."""

    def __init__(self) -> None:
        self.answer: bytes | None = None
        rasa = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                message = self.read_json()["message"]
                echo = [{"text": message, "buttons": [{"title": message, "payload": "/x"}]}]
                self.reply(200, rasa.answer if rasa.answer is not None else json.dumps(echo).encode())

        self.server = LocalServer(Handler)


@pytest.fixture(scope="module")
def rasa() -> Iterator[EchoRasa]:
    fake = EchoRasa()
    yield fake
    fake.server.close()


@pytest.fixture(scope="module")
def client(rasa: EchoRasa) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TTHC_RASA_URL", rasa.server.url)
        patch.setenv("TTHC_WEBCHAT_KEY", "fuzz-webchat-key-0123456789abcdef")
        get_settings.cache_clear()
        app = create_app()
        # Hundreds of requests from one test client: the limits are tested elsewhere.
        app.state.message_limit = app.state.session_limit = RateLimit(10**9)
        with TestClient(app) as client:
            yield client
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def session(client: TestClient) -> str:
    return client.post("/api/session").json()["session"]


@pytest.fixture(autouse=True)
def echo(rasa: EchoRasa) -> None:
    rasa.answer = None


def _post(client: TestClient, body: bytes):
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    json.loads(response.content)  # JSON whatever the status
    return response


@FUZZ
@given(body=st.binary(max_size=2000))
def test_any_bytes_get_a_json_refusal(client, body):
    assert _post(client, body).status_code in CLIENT_ERRORS


@FUZZ
@given(value=json_values)
def test_any_json_without_a_valid_session_is_refused(client, value):
    body = json.dumps(value).encode()
    assert _post(client, body).status_code in CLIENT_ERRORS


@FUZZ
@given(payload=st.dictionaries(st.sampled_from(["session", "message", "sender"]), json_values))
def test_any_payload_shape_is_refused_with_a_reason(client, payload):
    response = _post(client, json.dumps(payload).encode())
    assert response.status_code in CLIENT_ERRORS
    assert isinstance(response.json()["error"], str)


@FUZZ
@given(message=any_text)
def test_any_message_with_a_valid_session_comes_back_as_json_data(client, session, message):
    received = json.loads(json.dumps(message))  # what the relay reads: JSON joins a surrogate pair
    response = _post(client, json.dumps({"session": session, "message": message}).encode())
    if response.status_code == 422:
        assert not received.strip() or not _encodable(received)  # blank, or a lone surrogate
        return
    assert response.status_code == 200
    assert response.json() == [{"text": received, "buttons": [{"title": received, "payload": "/x"}]}]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@FUZZ
@given(answer=rasa_replies | json_values | st.binary(max_size=200))
def test_anything_rasa_answers_becomes_json_for_the_page(client, session, rasa, answer):
    rasa.answer = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    response = _post(client, json.dumps({"session": session, "message": "xin chào"}).encode())
    assert response.status_code in (200, 503)
    if response.status_code == 200:
        assert isinstance(response.json(), list) and response.json()
