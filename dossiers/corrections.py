"""Corrections: a source sends again an event it sent before, with different
content (a CSV re-export that moved the appointment from 10/09 to 20/09, or
fixed a status).

``store.apply_event`` takes a known event id for a retry and changes nothing,
which is right for the push API and wrong for a re-export. Here the stored
event takes the new status and note; when it is the dossier's latest event,
the mirror takes the new content too, and subscribers hear of a corrected
status. The content of an older event reaches only the history: the mirror
shows what the latest event says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from database import insert_if_missing, session_scope
from dossiers.events import MIRROR_FIELDS, StatusEvent, second_factor_hash
from dossiers.models import Dossier, DossierEvent, Notification, Subscription
from dossiers.store import aware, utcnow


class Correction(enum.Enum):
    UNKNOWN = "unknown"  # no such event yet: store it as a new one
    SAME = "same"  # the stored event already says this: nothing changes
    CORRECTED = "corrected"
    OTHER_KEY = "other_key"  # the event id was stored for another dossier or time


@dataclass(frozen=True)
class CorrectionResult:
    outcome: Correction
    notifications: int = 0


def correct_event(event: StatusEvent, source: str) -> CorrectionResult:
    """Apply ``event`` over the event of ``source`` with the same event id, if it says something new."""
    with session_scope() as session:
        stored = session.scalar(
            select(DossierEvent)
            .where(DossierEvent.source == source, DossierEvent.event_id == event.event_id)
            .with_for_update()
        )
        if stored is None:
            return CorrectionResult(Correction.UNKNOWN)
        if not _same_key(session, stored, event):
            return CorrectionResult(Correction.OTHER_KEY)
        dossier = session.get_one(Dossier, stored.code, with_for_update=True)
        latest = aware(stored.occurred_at) >= aware(dossier.status_at)
        mirrored = _mirrored_values(event) if latest else {}
        if (stored.status, stored.note) == (event.status, event.note) and all(
            getattr(dossier, name) == value for name, value in mirrored.items()
        ):
            return CorrectionResult(Correction.SAME)
        stored.status, stored.note = event.status, event.note
        if not latest:
            return CorrectionResult(Correction.CORRECTED)
        status_changed = dossier.status != event.status
        for name, value in mirrored.items():
            setattr(dossier, name, value)
        dossier.status, dossier.note = event.status, event.note
        notified = _notify_again(session, stored) if status_changed else 0
        return CorrectionResult(Correction.CORRECTED, notified)


def _same_key(session: Session, stored: DossierEvent, event: StatusEvent) -> bool:
    """Compared by the database, so that a time is matched as it was stored."""
    query = select(DossierEvent.id).where(
        DossierEvent.id == stored.id,
        DossierEvent.code == event.dossier_code,
        DossierEvent.occurred_at == event.occurred_at,
    )
    return session.scalar(query) is not None


def _mirrored_values(event: StatusEvent) -> dict[str, Any]:
    """What the event sets on the mirror: the fields it gives (an empty cell
    clears nothing), and the keyed hash of the phone's last digits."""
    values = event.model_dump(include=MIRROR_FIELDS, exclude_none=True)
    if event.applicant_phone_last4:
        values["second_factor_hash"] = second_factor_hash(event.dossier_code, event.applicant_phone_last4)
    return values


def _notify_again(session: Session, event: DossierEvent) -> int:
    """Queue the corrected status for every subscriber, also one who was told
    the old status (the outbox holds one row per event and subscriber)."""
    subscriptions = session.scalars(
        select(Subscription.id).where(Subscription.code == event.code, Subscription.active.is_(True))
    ).all()
    now = utcnow()
    for subscription_id in subscriptions:
        insert_if_missing(
            session,
            Notification,
            event_pk=event.id,
            subscription_id=subscription_id,
            state="pending",
            attempts=0,
            next_attempt_at=now,
        )
    session.execute(
        update(Notification)
        .where(Notification.event_pk == event.id, Notification.subscription_id.in_(subscriptions))
        .values(state="pending", attempts=0, last_error=None, next_attempt_at=now, done_at=None)
    )
    return len(subscriptions)
