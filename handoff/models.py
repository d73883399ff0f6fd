"""Tables of handoffs: requests, the staff's messages, canned replies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UtcDateTime

STATES = ("waiting", "taken", "closed")
REASONS = ("asked", "not_understood", "abstained", "low_rating")


class HandoffRequest(Base):
    """A citizen waiting for (or talking with) a person.

    At most one open (waiting or taken) request per conversation: a partial
    unique index, so two triggers at once cannot open two.
    """

    __tablename__ = "handoff_requests"
    __table_args__ = (
        Index(
            "uq_handoff_open_conversation",
            "conversation",
            unique=True,
            sqlite_where=text("state != 'closed'"),
            postgresql_where=text("state != 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(160), index=True)  # <channel>:<platform id>
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    outside_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    procedure_id: Mapped[str | None] = mapped_column(String(80))
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    # Left by the citizen outside working hours: shown whole inside the
    # conversation only, masked in lists, never logged.
    phone: Mapped[str | None] = mapped_column(String(20))
    taken_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    taken_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(Text)


class StaffMessage(Base):
    """A staff member's reply, stored by the console and sent (``sent_at``)
    by ``action_staff_reply`` inside the conversation."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("handoff_requests.id"), index=True)
    conversation: Mapped[str] = mapped_column(String(160), index=True)
    author: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CannedReply(Base):
    """A reply staff insert often (mẫu câu trả lời)."""

    __tablename__ = "handoff_canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())
