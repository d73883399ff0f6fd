"""Notification delivery outcomes, against a local server standing in for an
unhealthy Rasa (the healthy path is tested end to end in tests/e2e)."""

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update

from database import session_scope
from dossiers import notifier, store
from dossiers.events import StatusEvent
from dossiers.models import Notification, Subscription
from settings import get_settings
from tests.support import LocalServer, QuietHandler

CODE = "H29.22-240903-0007"


class FakeRasa:
    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[str, dict]] = []
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                fake.requests.append((self.path, self.read_json()))
                self.reply(fake.statuses.pop(0) if fake.statuses else 200)

        self.server = LocalServer(Handler)
        self.url = self.server.url


@pytest.fixture
def rasa(database_url, monkeypatch):
    fake = FakeRasa()
    monkeypatch.setenv("TTHC_RASA_URL", fake.url)
    get_settings.cache_clear()
    yield fake
    fake.server.close()


def _event(event_id: str, status: str) -> None:
    store.apply_event(
        StatusEvent(event_id=event_id, dossier_code=CODE, status=status, occurred_at=dt.datetime.now(dt.timezone.utc)),
        "province-a",
    )


def _deliver() -> int:
    async def run() -> int:
        async with httpx.AsyncClient() as client:
            return await notifier.deliver_pending(client)

    return asyncio.run(run())


def _states() -> list[tuple[str, int]]:
    with session_scope() as session:
        return [(n.state, n.attempts) for n in session.scalars(select(Notification).order_by(Notification.id))]


def _make_due() -> None:
    with session_scope() as session:
        session.execute(update(Notification).values(next_attempt_at=dt.datetime.now(dt.timezone.utc)))


def test_trigger_intent_request_and_retry_of_a_transient_failure(rasa):
    _event("e1", "received")
    store.subscribe(CODE, "citizen/1", "telegram")
    _event("e2", "processing")
    rasa.statuses = [503]
    assert _deliver() == 1
    assert _states() == [("pending", 1)]
    assert _deliver() == 0  # not due yet: back-off
    _make_due()
    _deliver()
    assert _states() == [("sent", 2)]
    path, body = rasa.requests[-1]
    assert path == "/conversations/citizen%2F1/trigger_intent?output_channel=telegram"
    assert body == {"name": "dossier_status_changed", "entities": {"dossier_code": CODE}}


def test_a_client_error_is_recorded_as_failed_and_not_retried(rasa):
    _event("e1", "received")
    store.subscribe(CODE, "citizen-1", "rest")
    _event("e2", "processing")
    rasa.statuses = [404]
    _deliver()
    _make_due()
    assert _deliver() == 0
    assert _states() == [("failed", 1)]


def test_outside_the_messaging_window_is_recorded_without_sending(rasa):
    _event("e1", "received")
    store.subscribe(CODE, "zalo-user", "zalo_oa")
    with session_scope() as session:
        long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
        session.execute(update(Subscription).values(last_interaction_at=long_ago))
    _event("e2", "result_ready")
    _deliver()
    assert _states() == [("outside_window", 1)]
    assert rasa.requests == []


def test_unsubscribed_conversations_are_not_notified(rasa):
    _event("e1", "received")
    store.subscribe(CODE, "citizen-1", "rest")
    store.unsubscribe("citizen-1")
    _event("e2", "processing")
    assert _deliver() == 0
