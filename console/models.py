"""Tables of the console: accounts, log-in throttles and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UtcDateTime

ROLES = ("admin", "editor", "staff")


class Account(Base):
    """A person who logs in to the console. ``session_epoch`` moves on log-out
    and password change, which ends every session cookie signed before."""

    __tablename__ = "console_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # one of ROLES
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class LoginThrottle(Base):
    """Failed log-ins of one account (``user:<name>``) or client (``addr:<ip>``)."""

    __tablename__ = "console_login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """Who changed what, and when. ``detail`` never holds passwords or personal data."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), index=True)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
