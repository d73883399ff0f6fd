"""The push API on SQLite and PostgreSQL: authentication, validation, idempotency."""

import json
import time

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from database import session_scope
from dossiers import store
from dossiers.api import create_app, signature
from dossiers.models import DossierEvent, Notification
from settings import get_settings

SECRET = "test-secret-of-province-a"
CODE = "H29.22-240903-0007"


@pytest.fixture
def client(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_PUSH_SECRETS", f"province-a:{SECRET}")
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


def post(client, body, *, secret=SECRET, timestamp=None, source="province-a", raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"x-source": source, "x-timestamp": stamp, "x-signature": signature(secret, stamp, data)}
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
