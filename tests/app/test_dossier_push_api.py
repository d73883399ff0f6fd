"""The push API on SQLite and PostgreSQL: authentication, validation, idempotency."""

import asyncio
import json
import logging
import time

import pytest
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.testclient import TestClient

from database import session_scope
from dossiers import store
from dossiers.api import create_app, receive_event, signature
from dossiers.models import DossierEvent, Notification
from settings import get_settings

SECRET = "test-secret-of-province-a"
SECRET_B = "test-secret-of-province-b"
CODE = "H29.22-240903-0007"


@pytest.fixture
def client(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_PUSH_SECRETS", f"province-a:{SECRET},province-b:{SECRET_B},province-c:")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client


def event(**changes) -> dict:
    body = {
        "event_id": "evt-1",
        "dossier_code": CODE,
        "status": "processing",
        "occurred_at": "2024-09-04T08:30:00+07:00",
        "procedure_id": "khai-sinh",
        "agency": "UBND phường Bến Thành",
        "received_on": "2024-09-03",
        "appointment_on": "2024-09-10",
        "applicant_phone_last4": "6789",
    }
    return {**body, **changes}


def post(client, body, *, secret=SECRET, timestamp=None, source="province-a", raw=None, given=None):
    data = raw if raw is not None else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"x-source": source, "x-timestamp": stamp, "x-signature": given or signature(secret, stamp, data)}
    return client.post("/api/v1/dossier-events", content=data, headers=headers)


def _events() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(DossierEvent))


def test_valid_event_is_stored_and_readable(client):
    response = post(client, event())
    assert response.status_code == 202
    view = store.lookup(CODE)
    assert view.status == "processing"
    assert str(view.appointment_on) == "2024-09-10"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"secret": "wrong"}, "bad signature"),
        ({"source": "unknown-province"}, "unknown source"),
        ({"timestamp": int(time.time()) - 3600}, "stale"),
    ],
)
def test_bad_authentication_writes_nothing(client, kwargs, reason):
    response = post(client, event(), **kwargs)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert _events() == 0


def test_missing_signature_is_rejected(client):
    response = client.post("/api/v1/dossier-events", json=event(), headers={"x-source": "province-a"})
    assert response.status_code == 401
    assert _events() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (event(status="lost_in_space"), "status"),
        (event(dossier_code="12345"), "dossier_code"),
        (event(dossier_code="H29.22-241399-0007"), "dossier_code"),
        (event(occurred_at="2024-09-04T08:30:00"), "occurred_at"),
        (event(applicant_phone_last4="12"), "applicant_phone_last4"),
        (event(extra_field="x"), "extra_field"),
    ],
)
def test_invalid_events_get_422_with_the_field_and_write_nothing(client, body, field):
    response = post(client, body)
    assert response.status_code == 422
    assert field in [p["field"] for p in response.json()["problems"]]
    assert _events() == 0


def test_malformed_and_oversized_bodies(client):
    assert post(client, None, raw=b"{not json").status_code == 400
    assert post(client, None, raw=b"x" * 70_000).status_code == 413
    assert _events() == 0


def test_the_same_event_twice_is_stored_once_and_notified_once(client):
    store.subscribe(CODE, "citizen-1", "rest")
    post(client, event(event_id="evt-0", status="received", occurred_at="2024-09-03T08:00:00+07:00"))
    first = post(client, event())
    second = post(client, event())
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    assert _events() == 2
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_late_event_goes_to_history_without_changing_the_status(client):
    post(client, event(event_id="evt-2", status="result_ready", occurred_at="2024-09-09T08:00:00+07:00"))
    post(client, event(event_id="evt-1", status="processing", occurred_at="2024-09-04T08:00:00+07:00"))
    view = store.lookup(CODE)
    assert view.status == "result_ready"
    assert [h.status for h in view.history] == ["processing", "result_ready"]


def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(client):
    def chunks():
        for _ in range(3):
            yield b"x" * 30_000

    headers = {"x-source": "province-a", "x-timestamp": str(int(time.time())), "x-signature": "sha256=0"}
    response = client.post("/api/v1/dossier-events", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert _events() == 0


def test_a_streamed_body_is_refused_once_past_the_limit_not_read_to_its_end(client):
    """The fault: the whole body was read into memory before its size was checked."""
    chunks_read = 0

    async def receive() -> dict:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 16_384, "more_body": chunks_read < 1_000}  # 16 MB

    scope = {"type": "http", "method": "POST", "path": "/api/v1/dossier-events", "headers": [], "query_string": b""}
    response = asyncio.run(receive_event(Request(scope, receive)))
    assert response.status_code == 413
    assert chunks_read <= 5  # 64 KiB and one chunk more


@pytest.mark.parametrize("depth", [33, 10_000])  # past the limit of nesting; past Python's recursion limit
def test_deeply_nested_json_is_a_bad_request_not_a_crash(client, depth):
    response = post(client, None, raw=b'{"a":' * depth + b"1" + b"}" * depth)
    assert response.status_code == 400
    assert _events() == 0


def test_a_non_ascii_signature_is_unauthorised_not_a_crash(client):
    response = post(client, event(), given="sha256=\u00e9".encode("latin-1"))
    assert response.status_code == 401
    assert _events() == 0


def test_a_source_with_an_empty_secret_never_authenticates(client):
    response = post(client, event(), source="province-c", secret="")
    assert response.status_code == 401
    assert _events() == 0


def test_a_source_cannot_rewrite_another_sources_dossier(client):
    assert post(client, event()).status_code == 202
    hijack = event(event_id="evt-b", status="rejected", occurred_at="2024-09-05T08:00:00+07:00", note="Giả mạo")
    response = post(client, hijack, source="province-b", secret=SECRET_B)
    assert response.status_code == 409
    assert "another source" in response.json()["error"]
    assert _events() == 1
    assert store.lookup(CODE).status == "processing"
    assert post(client, event(event_id="evt-2", status="result_ready")).status_code == 202  # the owner still can


def test_the_logs_name_nobody(client, caplog):
    caplog.set_level(logging.DEBUG)
    store.subscribe(CODE, "telegram:987654321", "telegram")
    post(client, event(event_id="evt-0", status="received", applicant_name="Nguyễn Văn A"))
    post(client, event(applicant_name="Nguyễn Văn A"))
    post(client, event(), secret="wrong")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Dossier event from province-a" in logged
    for private in ("Nguyễn Văn A", "6789", "987654321", SECRET, CODE):
        assert private not in logged
