"""Tables of the dossier mirror, its events, subscriptions and notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UtcDateTime


class Dossier(Base):
    """The current state of one dossier, as the one-stop system last reported it."""

    __tablename__ = "dossiers"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure_id: Mapped[str | None] = mapped_column(String(80))
    agency: Mapped[str | None] = mapped_column(String(200))
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    appointment_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    status_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # what to supplement, why rejected...
    supplement_deadline: Mapped[dt.date | None] = mapped_column(Date)
    result_place: Mapped[str | None] = mapped_column(String(300))
    online_result_url: Mapped[str | None] = mapped_column(String(500))
    applicant_name: Mapped[str | None] = mapped_column(String(200))
    second_factor_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class DossierEvent(Base):
    """One status change, kept for the history and for idempotency."""

    __tablename__ = "dossier_events"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_dossier_events_source_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(ForeignKey("dossiers.code"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())


class Subscription(Base):
    """A conversation that wants to hear when a dossier changes."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("code", "sender_id", "channel", name="uq_subscriptions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_interaction_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())


class Notification(Base):
    """The outbox: one row per (event, subscriber), so nobody is told twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_pk", "subscription_id", name="uq_notifications_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("dossier_events.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class DossierGuard(Base):
    """Failed second-factor attempts on one dossier, from every conversation.

    The limit follows the dossier: a guesser who opens new conversations gets
    no new tries. Past the limit the details stay locked until the office
    unlocks them (``python -m dossiers unlock CODE``).
    """

    __tablename__ = "dossier_guards"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class RateCounter(Base):
    """A fixed-window counter (e.g. look-ups of one conversation), keyed by a hash."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ImportReport(Base):
    """What a CSV import accepted and rejected (line and reason), for the console."""

    __tablename__ = "dossier_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
