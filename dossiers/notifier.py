"""Delivering the notification outbox through Rasa.

For each pending notification, Rasa's ``POST /conversations/{id}/trigger_intent``
runs ``dossier_status_changed`` inside the citizen's own conversation, with
``output_channel`` set to the channel they subscribed from, so the message
comes from the conversation itself. Outcomes are recorded: sent, failed (with
a reason), or outside the channel's messaging window. Transient failures are
retried with back-off; the outbox's unique (event, subscriber) row means
nobody is notified twice for one event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from urllib.parse import quote

import httpx
from sqlalchemy import select

from database import session_scope
from dossiers.models import DossierEvent, Notification, Subscription
from dossiers.store import aware, utcnow
from settings import get_settings

logger = logging.getLogger(__name__)

STATUS_INTENT = "dossier_status_changed"
MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 5.0


def _retry_at(attempts: int) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=BASE_DELAY_SECONDS * 2 ** (attempts - 1))


def _outside_window(subscription: Subscription) -> bool:
    hours = get_settings().notify_windows_hours.get(subscription.channel)
    if hours is None:
        return False
    return aware(subscription.last_interaction_at) < utcnow() - dt.timedelta(hours=hours)


async def deliver_pending(client: httpx.AsyncClient, limit: int = 50) -> int:
    """Try every notification that is due; returns how many were tried."""
    with session_scope() as session:
        due = session.execute(
            select(Notification, Subscription, DossierEvent)
            .join(Subscription, Notification.subscription_id == Subscription.id)
            .join(DossierEvent, Notification.event_pk == DossierEvent.id)
            .where(Notification.state == "pending", Notification.next_attempt_at <= utcnow())
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        work = [(n.id, s.sender_id, s.channel, e.code, _outside_window(s)) for n, s, e in due]
    for notification_id, sender_id, channel, code, outside in work:
        if outside:
            _finish(notification_id, "outside_window", "the channel's messaging window has closed")
            continue
        await _deliver(client, notification_id, sender_id, channel, code)
    return len(work)


async def _deliver(client: httpx.AsyncClient, notification_id: int, sender_id: str, channel: str, code: str) -> None:
    settings = get_settings()
    url = f"{settings.rasa_url}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    params = {"output_channel": channel}
    if settings.rasa_token:
        params["token"] = settings.rasa_token
    body = {"name": STATUS_INTENT, "entities": {"dossier_code": code}}
    try:
        response = await client.post(url, params=params, json=body)
    except httpx.HTTPError as exc:
        _retry(notification_id, type(exc).__name__)
        return
    if response.status_code >= 500 or response.status_code == 429:
        _retry(notification_id, f"HTTP {response.status_code}")
    elif response.status_code >= 400:
        _finish(notification_id, "failed", f"HTTP {response.status_code}")
    else:
        _finish(notification_id, "sent", None)


def _retry(notification_id: int, reason: str) -> None:
    with session_scope() as session:
        notification = session.get(Notification, notification_id)
        notification.attempts += 1
        notification.last_error = reason
        if notification.attempts >= MAX_ATTEMPTS:
            notification.state, notification.done_at = "failed", utcnow()
        else:
            notification.next_attempt_at = _retry_at(notification.attempts)
    logger.warning("Notification %d not delivered (%s); will retry.", notification_id, reason)


def _finish(notification_id: int, state: str, reason: str | None) -> None:
    with session_scope() as session:
        notification = session.get(Notification, notification_id)
        notification.attempts += 1
        notification.state, notification.last_error, notification.done_at = state, reason, utcnow()
    logger.info("Notification %d: %s", notification_id, state)


async def run_forever(interval_seconds: float = 2.0) -> None:
    """The delivery loop of the dossier service process."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=3.0)) as client:
        while True:
            try:
                await deliver_pending(client)
            except Exception:  # keep the loop alive; the outbox keeps what was not done
                logger.exception("Notification delivery round failed")
            await asyncio.sleep(interval_seconds)
