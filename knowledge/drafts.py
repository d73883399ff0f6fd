"""Drafts of cards: what an editor saves before publishing.

Citizens read ``CardRow`` only, so a draft is never visible to them;
publishing writes the draft through ``store.save_card`` (a new revision) and
the matcher and the answers pick it up within seconds, without retraining.

Two editors on one card: every form carries the state it was opened on —
the card's published version and the draft's own version — and a save or a
publish from an older state is refused (``StaleEdit``), never merged over
someone else's work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import JSON, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from database import Base, UtcDateTime, session_scope, updated_rows
from knowledge import store
from knowledge.models import CardRevision, CardRow
from knowledge.schema import Card


class CardDraft(Base):
    """One shared draft per card, with its own version for optimistic locking."""

    __tablename__ = "card_drafts"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    base_version: Mapped[int] = mapped_column(Integer)  # the published version it started from; 0: a new card
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class StaleEdit(Exception):
    """The card or its draft changed since the form was opened."""


@dataclass(frozen=True)
class EditState:
    """What a form was opened on: ``"<published version>-<draft version>"``."""

    published: int
    draft: int

    @property
    def token(self) -> str:
        return f"{self.published}-{self.draft}"

    @classmethod
    def parse(cls, token: str) -> EditState | None:
        published, _, draft = token.partition("-")
        if not (published.isdigit() and draft.isdigit()):
            return None
        return cls(int(published), int(draft))


def state(kind: str, card_id: str) -> EditState:
    with session_scope() as session:
        return _state(session, kind, card_id)


def _state(session: Session, kind: str, card_id: str) -> EditState:
    published = session.scalar(select(CardRow.version).where(CardRow.kind == kind, CardRow.id == card_id)) or 0
    draft = session.scalar(select(CardDraft.version).where(CardDraft.kind == kind, CardDraft.id == card_id)) or 0
    return EditState(published, draft)


def get_draft(kind: str, card_id: str) -> CardDraft | None:
    with session_scope() as session:
        return session.get(CardDraft, (kind, card_id))


def draft_card(kind: str, card_id: str) -> Card | None:
    draft = get_draft(kind, card_id)
    return store.to_card(kind, draft.data) if draft else None


def save_draft(card: Card, opened: EditState, author: str, session: Session) -> EditState:
    """Keep ``card`` as the draft, if nothing changed since ``opened``."""
    current = _state(session, card.kind, card.id)
    if current != opened:
        raise StaleEdit
    errors = store.check_with_current(card, session)
    if errors:
        raise store.CardImportError(errors)
    data = card.model_dump(mode="json")
    if current.draft == 0:
        session.add(CardDraft(kind=card.kind, id=card.id, data=data, base_version=current.published, version=1,
                              author=author))  # fmt: skip
        session.flush()
        return EditState(current.published, 1)
    changed = updated_rows(
        session,
        update(CardDraft)
        .where(CardDraft.kind == card.kind, CardDraft.id == card.id, CardDraft.version == current.draft)
        .values(data=data, version=current.draft + 1, author=author, updated_at=func.now()),
    )
    if changed != 1:
        raise StaleEdit
    return EditState(current.published, current.draft + 1)


def publish(card: Card, opened: EditState, author: str, session: Session) -> bool:
    """Make ``card`` what citizens get (a new revision) and drop the draft."""
    if _state(session, card.kind, card.id) != opened:
        raise StaleEdit
    session.execute(delete(CardDraft).where(CardDraft.kind == card.kind, CardDraft.id == card.id))
    return store.save_card(card, author, session=session)


def discard(kind: str, card_id: str, session: Session) -> bool:
    return bool(updated_rows(session, delete(CardDraft).where(CardDraft.kind == kind, CardDraft.id == card_id)))


def revisions(kind: str, card_id: str) -> list[CardRevision]:
    """Every published version of a card, newest first."""
    with session_scope() as session:
        query = (
            select(CardRevision)
            .where(CardRevision.kind == kind, CardRevision.id == card_id)
            .order_by(CardRevision.revision_id.desc())
        )
        return list(session.scalars(query))


def revision(revision_id: int) -> CardRevision | None:
    with session_scope() as session:
        return session.get(CardRevision, revision_id)
