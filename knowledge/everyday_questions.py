"""Citizens' questions that editors marked as private matters, not procedures:
the matcher reads them with the shipped everyday matters (``nlu.card_source``),
so the question, and questions like it, get no card within seconds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from database import session_scope
from knowledge.models import EverydayQuestion

# The target an unanswered question is closed with when marked so.
TARGET = "everyday"


def mark(question: str, by: str, session: Session) -> None:
    """Add ``question`` (once) to the questions about private matters."""
    known = session.scalar(select(EverydayQuestion.id).where(EverydayQuestion.text == question))
    if known is None:
        session.add(EverydayQuestion(text=question, added_by=by))


def marked() -> list[EverydayQuestion]:
    """Every marked question, newest first."""
    with session_scope() as session:
        rows = session.scalars(select(EverydayQuestion).order_by(EverydayQuestion.id.desc())).all()
        return list(rows)


def unmark(question_id: int, session: Session) -> EverydayQuestion | None:
    """Take a question off the private matters (the matcher forgets it within
    seconds); the removed row, or None when there is no such question."""
    question = session.get(EverydayQuestion, question_id)
    if question is not None:
        session.delete(question)
    return question
