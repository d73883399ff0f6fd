"""Canned replies (mẫu câu trả lời) and a card's answer by name, for the
staff's reply box. Cards are rendered by ``knowledge.answers``, the one
renderer, so staff insert what the assistant itself would say."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from database import session_scope, updated_rows
from handoff.models import CannedReply
from knowledge import store
from knowledge.answers import answer_procedure
from knowledge.schema import ProcedureCard
from nlu.text import fold

MAX_TITLE_CHARS = 80
MAX_TEXT_CHARS = 2000


class CannedError(ValueError):
    """A refused canned reply; the message is Vietnamese, for the staff member."""


def all_replies() -> Sequence[CannedReply]:
    with session_scope() as session:
        return session.scalars(select(CannedReply).order_by(CannedReply.title)).all()


def save(title: str, text: str, author: str, reply_id: int | None = None) -> None:
    """Create a canned reply, or edit ``reply_id``."""
    title, text = title.strip(), text.strip()
    if not title or len(title) > MAX_TITLE_CHARS:
        raise CannedError(f"Tên mẫu cần từ 1 đến {MAX_TITLE_CHARS} ký tự.")
    if not text or len(text) > MAX_TEXT_CHARS:
        raise CannedError(f"Nội dung mẫu cần từ 1 đến {MAX_TEXT_CHARS} ký tự.")
    with session_scope() as session:
        clash = session.scalar(select(CannedReply.id).where(CannedReply.title == title))
        if clash is not None and clash != reply_id:
            raise CannedError("Đã có mẫu cùng tên.")
        if reply_id is None:
            session.add(CannedReply(title=title, text=text, updated_by=author))
            return
        reply = session.get(CannedReply, reply_id)
        if reply is None:
            raise CannedError("Không tìm thấy mẫu này.")
        reply.title, reply.text, reply.updated_by = title, text, author


def remove(reply_id: int) -> bool:
    with session_scope() as session:
        return updated_rows(session, delete(CannedReply).where(CannedReply.id == reply_id)) == 1


def procedure_names() -> list[str]:
    """Names of the procedure cards, for the reply box's suggestions."""
    return sorted(card.name for card in store.all_cards() if isinstance(card, ProcedureCard))


def card_answer(name: str) -> str | None:
    """The assistant's overview answer of the procedure card named ``name``
    (with or without diacritics; the one card whose name contains it)."""
    wanted = fold(name.strip())
    if not wanted:
        return None
    cards = [c for c in store.all_cards() if isinstance(c, ProcedureCard)]
    exact = [c for c in cards if fold(c.name) == wanted]
    found = exact or [c for c in cards if wanted in fold(c.name)]
    return answer_procedure(found[0], None).text if len(found) == 1 else None
