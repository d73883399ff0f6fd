"""Notification delivery outcomes, against a local server standing in for Rasa
(the whole path is tested end to end in tests/e2e)."""

import asyncio
import datetime as dt
import logging
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from database import session_scope
from dossiers import notifier, store
from dossiers.__main__ import main as dossiers_command
from dossiers.events import StatusEvent
from dossiers.models import Notification, Subscription
from settings import get_settings
from tests.support import LocalServer, QuietHandler

CODE = "H29.22-240903-0007"
HOUR = 3600


class FakeRasa:
    """``trigger_intent`` answers ``statuses`` in turn (then 200); the tracker
    of every conversation holds ``events`` (or answers ``tracker_status``)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.tracker_status = 200
        self.events: list[dict] = []
        self.requests: list[tuple[str, str, dict, dict | None]] = []  # method, path, query, body
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                fake.record("POST", self.path, self.read_json())
                self.reply(fake.statuses.pop(0) if fake.statuses else 200)

            def do_GET(self) -> None:
                fake.record("GET", self.path, None)
                self.reply(fake.tracker_status, httpx.Response(200, json={"events": fake.events}).content)

        self.server = LocalServer(Handler)
        self.url = self.server.url

    def record(self, method: str, target: str, body: dict | None) -> None:
        parts = urlsplit(target)
        self.requests.append((method, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}, body))

    def triggered(self) -> list[tuple[str, str, dict, dict | None]]:
        return [r for r in self.requests if r[0] == "POST"]

    def user_wrote(self, hours_ago: float) -> None:
        self.events.append({"event": "user", "timestamp": time.time() - hours_ago * HOUR, "text": "hồ sơ"})


@pytest.fixture
def rasa(database_url, monkeypatch):
    fake = FakeRasa()
    monkeypatch.setenv("TTHC_RASA_URL", fake.url)
    monkeypatch.setenv("TTHC_RASA_TOKEN", "rasa-token-for-the-tests")
    get_settings.cache_clear()
    yield fake
    fake.server.close()


def _event(event_id: str, status: str) -> None:
    store.apply_event(
        StatusEvent(event_id=event_id, dossier_code=CODE, status=status, occurred_at=dt.datetime.now(dt.timezone.utc)),
        "province-a",
    )


def _subscribed(sender_id: str, channel: str) -> None:
    """``sender_id`` subscribed, then the dossier changed: one notification is due."""
    _event("e1", "received")
    store.subscribe(CODE, sender_id, channel)
    _event("e2", "processing")


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


def _last_interaction(hours_ago: float) -> None:
    with session_scope() as session:
        at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago)
        session.execute(update(Subscription).values(last_interaction_at=at))


def test_trigger_intent_request_and_retry_of_a_transient_failure(rasa):
    _subscribed("telegram:42", "telegram")
    rasa.statuses = [503]
    assert _deliver() == 1
    assert _states() == [("pending", 1)]
    with session_scope() as session:
        wait = store.aware(session.scalar(select(Notification.next_attempt_at))) - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(minutes=1)
    assert _deliver() == 0  # not due yet: back-off
    _make_due()
    _deliver()
    assert _states() == [("sent", 2)]
    _, path, query, body = rasa.triggered()[-1]
    assert path == "/conversations/telegram:42/trigger_intent"  # Rasa 3.6 does not percent-decode the id
    assert query == {"output_channel": "telegram", "token": "rasa-token-for-the-tests"}
    assert body == {"name": "dossier_status_changed", "entities": {"dossier_code": CODE}}


def test_retries_span_a_day_one_minute_doubling_to_an_hour():
    delays = []
    while (delay := notifier.retry_delay(len(delays) + 1)) is not None:
        delays.append(delay)
    minutes = [d.total_seconds() / 60 for d in delays]
    assert minutes[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert set(minutes[6:]) == {60}
    assert dt.timedelta(hours=23) < sum(delays, dt.timedelta(0)) <= dt.timedelta(hours=24)


def test_after_a_day_of_failures_it_is_failed_then_redelivered_on_command(rasa):
    _subscribed("telegram:42", "telegram")
    last_retry = next(n for n in range(1, 100) if notifier.retry_delay(n + 1) is None)
    with session_scope() as session:
        session.execute(update(Notification).values(attempts=last_retry))
    rasa.statuses = [503]
    _deliver()
    assert _states() == [("failed", last_retry + 1)]
    _make_due()
    assert _deliver() == 0  # given up
    assert dossiers_command(["redeliver"]) == 0
    assert _states() == [("pending", 0)]
    _deliver()
    assert _states() == [("sent", 1)]


def test_a_refused_request_is_not_retried_and_redelivered_only_with_all_failed(rasa):
    _subscribed("telegram:42", "telegram")
    rasa.statuses = [404]
    _deliver()
    _make_due()
    assert _deliver() == 0
    assert _states() == [("refused", 1)]
    dossiers_command(["redeliver"])
    assert _states() == [("refused", 1)]
    dossiers_command(["redeliver", "--all-failed"])
    _deliver()
    assert _states() == [("sent", 1)]


def test_a_web_chat_subscription_is_recorded_unsupported_never_sent(rasa):
    """The fault: web chat subscribers were recorded "sent" and never got anything."""
    _subscribed("web:abc", "rest")
    _deliver()
    assert _states() == [("unsupported", 1)]
    assert rasa.requests == []


def test_an_id_that_no_rasa_url_names_exactly_is_not_sent_elsewhere(rasa):
    """Rasa 3.6 (Sanic 21.12) takes ``a%2Fb`` in the path as the id "a%2Fb":
    escaping would address another conversation."""
    _subscribed("telegram:a/b", "telegram")
    _deliver()
    assert _states() == [("unsupported", 1)]
    assert rasa.requests == []


def test_the_window_counts_from_the_last_message_in_rasa(rasa):
    """The stored time is refreshed only when the citizen asks about dossiers;
    Rasa's tracker knows the last message whatever it was about."""
    _subscribed("zalo_oa:123", "zalo_oa")
    _last_interaction(hours_ago=30 * 24)
    rasa.user_wrote(hours_ago=2)
    _deliver()
    assert _states() == [("sent", 1)]
    method, path, query, _ = rasa.requests[0]
    assert (method, path) == ("GET", "/conversations/zalo_oa:123/tracker")
    assert query == {"include_events": "AFTER_RESTART", "token": "rasa-token-for-the-tests"}


def test_notifications_do_not_count_as_the_citizen_writing(rasa):
    _subscribed("zalo_oa:123", "zalo_oa")  # stored just now
    rasa.user_wrote(hours_ago=8 * 24)
    rasa.events.append(
        {"event": "user", "timestamp": time.time(), "text": "EXTERNAL: x", "metadata": {"is_external": True}}
    )
    _deliver()
    assert _states() == [("outside_window", 1)]
    assert rasa.triggered() == []


@pytest.mark.parametrize(("stored_hours_ago", "state"), [(30 * 24, "outside_window"), (1, "sent")])
def test_without_rasa_s_tracker_the_stored_time_decides(rasa, stored_hours_ago, state):
    rasa.tracker_status = 500
    _subscribed("zalo_oa:123", "zalo_oa")
    _last_interaction(hours_ago=stored_hours_ago)
    _deliver()
    assert _states() == [(state, 1)]


def test_unsubscribed_conversations_are_not_notified(rasa):
    _event("e1", "received")
    store.subscribe(CODE, "telegram:42", "telegram")
    store.unsubscribe("telegram:42")
    _event("e2", "processing")
    assert _deliver() == 0


def test_unsubscribing_while_a_notification_waits_cancels_it(rasa):
    _subscribed("telegram:42", "telegram")
    store.unsubscribe("telegram:42")
    _deliver()
    assert _states() == [("cancelled", 1)]
    assert rasa.requests == []


def test_the_logs_carry_no_conversation_id_nor_token(rasa, caplog):
    caplog.set_level(logging.DEBUG)
    _subscribed("zalo_oa:987654321", "zalo_oa")
    rasa.tracker_status = 503
    rasa.statuses = [503, 404]
    for _ in range(3):
        _make_due()
        _deliver()
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert "Notification" in logged
    for private in ("987654321", "rasa-token-for-the-tests", "/conversations"):
        assert private not in logged
    assert [state for state, _ in _states()] == ["refused"]  # both paths were logged: retry, then refusal
