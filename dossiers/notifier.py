"""Delivering the notification outbox through Rasa.

For each due notification, Rasa's ``POST /conversations/{id}/trigger_intent``
runs ``dossier_status_changed`` inside the citizen's own conversation, with
``output_channel`` set to the channel they subscribed from, so the message
comes from the conversation itself. The outbox's unique (event, subscriber)
row means nobody is notified twice for one event.

Every notification ends with a true outcome (``Notification.state``):

- ``sent``: Rasa accepted it;
- ``refused``: Rasa answered 4xx (not retried);
- ``failed``: transient failures (network, 5xx, 429) went on for
  ``RETRY_GIVE_UP_AFTER``, retried 1 minute apart doubling up to 1 hour;
- ``outside_window``: the citizen last wrote longer ago than the channel's
  messaging window allows (Zalo OA), going by the conversation's own last
  message in Rasa's tracker;
- ``unsupported``: the web chat, whose page may be closed, cannot be reached
  later (nor can an id that no Rasa URL names exactly);
- ``cancelled``: the conversation unsubscribed before delivery.

``python -m dossiers redeliver`` puts ``failed`` ones back in the outbox after
an outage, ``--all-failed`` the ``refused`` ones too (after fixing a token).

The logs carry notification ids and outcomes only: no conversation id, no
URL (Rasa takes its token as a query parameter).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select, update

from channels.ids import channel_of
from database import session_scope, updated_rows
from dossiers.models import DossierEvent, Notification, Subscription
from dossiers.store import aware, utcnow
from retry import Backoff, next_delay
from settings import get_settings

logger = logging.getLogger(__name__)
# httpx logs every request's URL at INFO, and the URLs here carry the Rasa
# token and the citizen's conversation id: its warnings are enough.
logging.getLogger("httpx").setLevel(logging.WARNING)

STATUS_INTENT = "dossier_status_changed"
# 1 minute doubling up to 1 hour. No jitter, so the schedule is the one stated:
# one process delivers the outbox row after row, so rows that failed together
# do not reach Rasa at once anyway.
RETRY_BACKOFF = Backoff(base=60, cap=3600, jitter=0)
RETRY_GIVE_UP_AFTER = dt.timedelta(hours=24)
# The web chat ("rest" input channel, "web:" conversations) has no way to reach
# a citizen whose page is closed; it does not offer subscriptions.
UNREACHABLE_CHANNELS = frozenset({"rest"})
UNREACHABLE_CONVERSATIONS = frozenset({"web"})


@dataclass(frozen=True)
class _Due:
    notification_id: int
    sender_id: str
    channel: str
    code: str
    active: bool
    last_interaction_at: dt.datetime  # stored when the citizen subscribed or asked about dossiers


def retry_delay(attempts: int) -> dt.timedelta | None:
    """The wait after the ``attempts``-th transient failure: 1 minute doubling
    up to 1 hour, or None once the next try would come more than
    ``RETRY_GIVE_UP_AFTER`` after the first (a Rasa outage of hours is survived)."""
    seconds = next_delay(RETRY_BACKOFF, attempts, RETRY_GIVE_UP_AFTER.total_seconds())
    return None if seconds is None else dt.timedelta(seconds=seconds)


def reachable(channel: str, sender_id: str) -> bool:
    """Whether a notification can reach this conversation at a later time."""
    return channel not in UNREACHABLE_CHANNELS and channel_of(sender_id) not in UNREACHABLE_CONVERSATIONS


def conversation_url(sender_id: str) -> str | None:
    """Rasa's URL of the conversation, or None when no URL names it exactly.

    Rasa 3.6 (Sanic 21.12) does not percent-decode path parameters:
    ``telegram%3A42`` would name another, empty conversation. Conversation ids
    (``<channel>:<platform id>``) are made of characters that need no
    escaping in a path, and go as they are.
    """
    if quote(sender_id, safe=":") != sender_id:
        return None
    return f"{get_settings().rasa_url}/conversations/{sender_id}"


async def deliver_pending(client: httpx.AsyncClient, limit: int = 50) -> int:
    """Try every notification that is due; returns how many were tried."""
    with session_scope() as session:
        rows = session.execute(
            select(Notification.id, Subscription, DossierEvent.code)
            .join(Subscription, Notification.subscription_id == Subscription.id)
            .join(DossierEvent, Notification.event_pk == DossierEvent.id)
            .where(Notification.state == "pending", Notification.next_attempt_at <= utcnow())
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        due = [_Due(n, s.sender_id, s.channel, code, s.active, aware(s.last_interaction_at)) for n, s, code in rows]
    for item in due:
        await _deliver(client, item)
    return len(due)


async def _deliver(client: httpx.AsyncClient, item: _Due) -> None:
    if not item.active:
        _finish(item, "cancelled", "the conversation unsubscribed")
        return
    if not reachable(item.channel, item.sender_id):
        _finish(item, "unsupported", "the web chat cannot be reached later")
        return
    if conversation_url(item.sender_id) is None:
        _finish(item, "unsupported", "no Rasa URL names this conversation id")
        return
    if await _outside_window(client, item):
        _finish(item, "outside_window", "the channel's messaging window has closed")
        return
    await _trigger(client, item)


async def _outside_window(client: httpx.AsyncClient, item: _Due) -> bool:
    hours = get_settings().notify_windows_hours.get(item.channel)
    if hours is None:
        return False
    last = await last_user_message_at(client, item.sender_id) or item.last_interaction_at
    return last < utcnow() - dt.timedelta(hours=hours)


async def last_user_message_at(client: httpx.AsyncClient, conversation: str) -> dt.datetime | None:
    """When the citizen last wrote in ``conversation``, from Rasa's tracker
    (the messaging window counts from there); None when Rasa cannot say."""
    url = conversation_url(conversation)
    if url is None:
        return None
    params = {"include_events": "AFTER_RESTART", "token": get_settings().rasa_token}
    try:
        response = await client.get(f"{url}/tracker", params=params)
    except httpx.HTTPError as exc:
        logger.warning("Rasa tracker unavailable (%s): using the stored last interaction.", type(exc).__name__)
        return None
    if response.status_code != 200:
        logger.warning("Rasa tracker unavailable (HTTP %d): using the stored last interaction.", response.status_code)
        return None
    try:
        return _latest_user_time(response.json())
    except ValueError:
        logger.warning("Rasa tracker unreadable: using the stored last interaction.")
        return None


def _latest_user_time(tracker: Any) -> dt.datetime | None:
    """The newest message the citizen wrote. Intents triggered from outside
    (these notifications) are user events too, which Rasa marks external."""
    events = tracker.get("events") if isinstance(tracker, dict) else None
    if not isinstance(events, list):
        raise ValueError("no events")
    stamps = [
        event["timestamp"]
        for event in events
        if isinstance(event, dict)
        and event.get("event") == "user"
        and not (event.get("metadata") or {}).get("is_external")
        and isinstance(event.get("timestamp"), int | float)
    ]
    return dt.datetime.fromtimestamp(max(stamps), dt.timezone.utc) if stamps else None


async def _trigger(client: httpx.AsyncClient, item: _Due) -> None:
    url = f"{conversation_url(item.sender_id)}/trigger_intent"
    params = {"output_channel": item.channel, "token": get_settings().rasa_token}
    body = {"name": STATUS_INTENT, "entities": {"dossier_code": item.code}}
    try:
        response = await client.post(url, params=params, json=body)
    except httpx.HTTPError as exc:
        _retry(item, type(exc).__name__)
        return
    if response.status_code >= 500 or response.status_code == 429:
        _retry(item, f"HTTP {response.status_code}")
    elif response.status_code >= 400:
        _finish(item, "refused", f"HTTP {response.status_code}")
    else:
        _finish(item, "sent", None)


def _retry(item: _Due, reason: str) -> None:
    with session_scope() as session:
        notification = session.get_one(Notification, item.notification_id)
        notification.attempts += 1
        notification.last_error = reason
        delay = retry_delay(notification.attempts)
        if delay is None:
            notification.state, notification.done_at = "failed", utcnow()
        else:
            notification.next_attempt_at = utcnow() + delay
        attempts = notification.attempts
    then = "gave up" if delay is None else f"retry in {delay}"
    logger.warning("Notification %d not delivered (%s, attempt %d): %s.", item.notification_id, reason, attempts, then)


def _finish(item: _Due, state: str, reason: str | None) -> None:
    with session_scope() as session:
        notification = session.get_one(Notification, item.notification_id)
        notification.attempts += 1
        notification.state, notification.last_error, notification.done_at = state, reason, utcnow()
    logger.info("Notification %d: %s", item.notification_id, state)


def requeue_failed(include_refused: bool = False) -> int:
    """Put failed notifications back in the outbox with a fresh day of retries
    (after a Rasa outage; ``include_refused`` after fixing what Rasa refused);
    returns how many."""
    states = ("failed", "refused") if include_refused else ("failed",)
    with session_scope() as session:
        return updated_rows(
            session,
            update(Notification)
            .where(Notification.state.in_(states))
            .values(state="pending", attempts=0, next_attempt_at=utcnow(), done_at=None),
        )


async def run_forever(interval_seconds: float = 2.0) -> None:
    """The delivery loop of the dossier service process."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=3.0)) as client:
        while True:
            try:
                await deliver_pending(client)
            except Exception as exc:  # keep the loop alive; the outbox keeps what was not done
                logger.error("Notification delivery round failed: %s", _where(exc))
            await asyncio.sleep(interval_seconds)


def _where(exc: BaseException) -> str:
    """The exception's type and the line it came from, without its message:
    database errors quote the row's values (conversation ids)."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"
