"""The dossier mirror: applying status events, look-ups, subscriptions and the
second-factor guard. Every write is one transaction: an event is stored with
the notifications it causes, or not at all."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from database import insert_if_missing, session_scope, updated_rows
from dossiers.events import MIRROR_FIELDS, StatusEvent, second_factor_hash
from dossiers.models import Dossier, DossierEvent, DossierGuard, Notification, RateCounter, Subscription
from settings import get_settings


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class ApplyResult:
    duplicate: bool
    notifications: int
    foreign: bool = False  # the dossier belongs to another source: nothing was stored


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    note: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True)
class DossierView:
    """What a look-up returns, from the mirror or from a remote source."""

    code: str
    status: str
    procedure_id: str | None = None
    agency: str | None = None
    received_on: dt.date | None = None
    appointment_on: dt.date | None = None
    note: str | None = None
    supplement_deadline: dt.date | None = None
    result_place: str | None = None
    online_result_url: str | None = None
    applicant_name: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    # Keyed hash of the applicant phone's last 4 digits (``events.second_factor_hash``):
    # each source provides its own, so the second factor works with every source.
    second_factor_hash: str | None = field(default=None, repr=False)


def apply_event(event: StatusEvent, source: str) -> ApplyResult:
    """Store a status event once (idempotent on source and event id)."""
    try:
        with session_scope() as session:
            if _seen(session, source, event.event_id):
                return ApplyResult(duplicate=True, notifications=0)
            # Locked until commit, so two sources cannot both pass the ownership check.
            dossier = session.get(Dossier, event.dossier_code, with_for_update=True)
            if dossier is not None and dossier.source != source:
                return ApplyResult(duplicate=False, notifications=0, foreign=True)
            is_newest = dossier is None or event.occurred_at >= aware(dossier.status_at)
            changed = dossier is None or dossier.status != event.status
            dossier = _upsert(session, dossier, event, source, is_newest)
            row = DossierEvent(
                source=source,
                event_id=event.event_id,
                code=dossier.code,
                status=event.status,
                note=event.note,
                occurred_at=event.occurred_at,
            )
            session.add(row)
            session.flush()
            notified = _queue_notifications(session, row) if is_newest and changed else 0
            return ApplyResult(duplicate=False, notifications=notified)
    except IntegrityError:
        # The same event arrived twice at once: the other copy was stored.
        return ApplyResult(duplicate=True, notifications=0)


def _seen(session: Session, source: str, event_id: str) -> bool:
    query = select(DossierEvent.id).where(DossierEvent.source == source, DossierEvent.event_id == event_id)
    return session.scalar(query) is not None


def _upsert(session: Session, dossier: Dossier | None, event: StatusEvent, source: str, newest: bool) -> Dossier:
    if dossier is None:
        dossier = Dossier(code=event.dossier_code, status=event.status, status_at=event.occurred_at, source=source)
        session.add(dossier)
    if not newest:  # an event that arrives late goes into the history only
        return dossier
    fields = event.model_dump(include=MIRROR_FIELDS, exclude_none=True)
    for name, value in fields.items():
        setattr(dossier, name, value)
    if event.applicant_phone_last4:
        dossier.second_factor_hash = second_factor_hash(dossier.code, event.applicant_phone_last4)
    dossier.status, dossier.status_at, dossier.note = event.status, event.occurred_at, event.note
    return dossier


def _queue_notifications(session: Session, event: DossierEvent) -> int:
    subscriptions = session.scalars(
        select(Subscription).where(Subscription.code == event.code, Subscription.active.is_(True))
    ).all()
    for subscription in subscriptions:
        session.add(
            Notification(event_pk=event.id, subscription_id=subscription.id, state="pending", next_attempt_at=utcnow())
        )
    return len(subscriptions)


def lookup(code: str) -> DossierView | None:
    with session_scope() as session:
        dossier = session.get(Dossier, code)
        if dossier is None:
            return None
        events = session.scalars(
            select(DossierEvent).where(DossierEvent.code == code).order_by(DossierEvent.occurred_at)
        ).all()
        return DossierView(
            code=dossier.code,
            status=dossier.status,
            procedure_id=dossier.procedure_id,
            agency=dossier.agency,
            received_on=dossier.received_on,
            appointment_on=dossier.appointment_on,
            note=dossier.note,
            supplement_deadline=dossier.supplement_deadline,
            result_place=dossier.result_place,
            online_result_url=dossier.online_result_url,
            applicant_name=dossier.applicant_name,
            second_factor_hash=dossier.second_factor_hash,
            history=tuple(HistoryEntry(e.status, e.note, aware(e.occurred_at)) for e in events),
        )


def subscribe(code: str, sender_id: str, channel: str) -> bool:
    """Subscribe a conversation; False if it already was."""
    with session_scope() as session:
        existing = session.scalar(
            select(Subscription).where(
                Subscription.code == code, Subscription.sender_id == sender_id, Subscription.channel == channel
            )
        )
        if existing is not None:
            was_active = existing.active
            existing.active, existing.last_interaction_at = True, utcnow()
            return not was_active
        session.add(Subscription(code=code, sender_id=sender_id, channel=channel, last_interaction_at=utcnow()))
        return True


def unsubscribe(sender_id: str, code: str | None = None) -> int:
    """Stop notifications to a conversation (for one dossier or all); how many stopped."""
    with session_scope() as session:
        query = select(Subscription).where(Subscription.sender_id == sender_id, Subscription.active.is_(True))
        if code:
            query = query.where(Subscription.code == code)
        subscriptions = session.scalars(query).all()
        for subscription in subscriptions:
            subscription.active = False
        return len(subscriptions)


def touch_conversation(sender_id: str) -> None:
    """The citizen wrote: their messaging window is open again."""
    with session_scope() as session:
        for subscription in session.scalars(select(Subscription).where(Subscription.sender_id == sender_id)):
            subscription.last_interaction_at = utcnow()


@dataclass(frozen=True)
class SecondFactorResult:
    ok: bool
    locked: bool
    attempts_left: int


def check_second_factor(code: str, last4: str, expected_hash: str | None) -> SecondFactorResult:
    """Compare the phone's last 4 digits with the source's hash, within the
    dossier's limit of failures (across all conversations).

    An attempt is reserved with one atomic ``UPDATE ... WHERE failures < limit``
    before the comparison, so parallel guesses cannot compare more often than
    the limit allows (the row stays locked until this transaction ends).
    """
    settings = get_settings()
    limit, now = settings.second_factor_max_failures, utcnow()
    guard = DossierGuard.__table__.c
    this = guard.code == code
    with session_scope() as session:
        insert_if_missing(session, DossierGuard, code=code, failures=0, window_start=now)
        window_floor = now - dt.timedelta(minutes=settings.second_factor_window_minutes)
        session.execute(
            update(DossierGuard)
            .where(this, guard.locked_at.is_(None), guard.window_start < window_floor)
            .values(failures=0, window_start=now)
        )
        reserved = updated_rows(
            session,
            update(DossierGuard)
            .where(this, guard.locked_at.is_(None), guard.failures < limit)
            .values(failures=guard.failures + 1),
        )
        if reserved != 1:
            return SecondFactorResult(ok=False, locked=True, attempts_left=0)
        if expected_hash and hmac.compare_digest(expected_hash, second_factor_hash(code, last4)):
            session.execute(update(DossierGuard).where(this).values(failures=guard.failures - 1))
            return SecondFactorResult(ok=True, locked=False, attempts_left=limit)
        failures = session.scalar(select(guard.failures).where(this)) or limit
        if failures >= limit:
            session.execute(update(DossierGuard).where(this).values(locked_at=now))
        return SecondFactorResult(ok=False, locked=failures >= limit, attempts_left=max(limit - failures, 0))


def details_locked(code: str) -> bool:
    with session_scope() as session:
        guard = session.get(DossierGuard, code)
        return guard is not None and guard.locked_at is not None


def unlock_details(code: str) -> bool:
    """The office unlocks a dossier's details (after checking the citizen's papers)."""
    with session_scope() as session:
        guard = session.get(DossierGuard, code)
        if guard is None or guard.locked_at is None:
            return False
        guard.failures, guard.window_start, guard.locked_at = 0, utcnow(), None
        return True


def allow(key: str, limit: int, window: dt.timedelta) -> bool:
    """One more use of ``key`` within a fixed window, if fewer than ``limit`` so far.

    The key is stored hashed: it may hold a conversation id.
    """
    now = utcnow()
    digest = hashlib.sha256(key.encode()).hexdigest()
    counter = RateCounter.__table__.c
    with session_scope() as session:
        insert_if_missing(session, RateCounter, key=digest, count=0, window_start=now)
        session.execute(
            update(RateCounter)
            .where(counter.key == digest, counter.window_start < now - window)
            .values(count=0, window_start=now)
        )
        taken = updated_rows(
            session,
            update(RateCounter).where(counter.key == digest, counter.count < limit).values(count=counter.count + 1),
        )
        return taken == 1


def allow_lookup(conversation: str) -> bool:
    """Dossier look-ups of one conversation are limited per hour (against enumeration)."""
    return allow(f"lookup:{conversation}", get_settings().lookups_per_hour, dt.timedelta(hours=1))
