"""Which source system a dossier belongs to: the one whose event created it.

A source writes only its own dossiers, so one system (or an office's file
with a mistyped code) cannot rewrite the status another system reported.
"""

from __future__ import annotations

from sqlalchemy import select

from database import session_scope
from dossiers.models import Dossier


def owner_of(code: str) -> str | None:
    """The source of the dossier ``code``, or None when nobody reported it yet."""
    with session_scope() as session:
        return session.scalar(select(Dossier.source).where(Dossier.code == code))


def belongs_to_another(code: str, source: str) -> bool:
    owner = owner_of(code)
    return owner is not None and owner != source
