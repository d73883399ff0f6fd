"""The audit log: who changed what, and when.

Written in the same transaction as the change when a session is given, so a
change is never kept without its entry (nor an entry without its change).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import Account, AuditEntry
from database import session_scope


def record(session: Session | None, user: Account | str | None, action: str, target: str, detail: Any = None) -> None:
    """Add an entry; ``detail`` is JSON-able and never holds a password or personal data."""
    username = user.username if isinstance(user, Account) else user
    entry = AuditEntry(username=username, action=action, target=target, detail=detail if detail is not None else {})
    if session is not None:
        session.add(entry)
        return
    with session_scope() as own:
        own.add(entry)


def recent(limit: int = 200, target: str | None = None) -> list[AuditEntry]:
    """The latest entries, newest first (for one target when given)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    with session_scope() as session:
        return list(session.scalars(query))
