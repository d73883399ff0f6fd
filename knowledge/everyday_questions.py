"""Citizens' questions that editors marked as private matters, not procedures:
the matcher reads them with the shipped everyday matters (``nlu.card_source``),
so the question, and questions like it, get no card within seconds."""

from __future__ import annotations

from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database import delete_row, session_scope
from knowledge.catalog_store import QuestionProblem, read_question_file
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
    return delete_row(session, EverydayQuestion, question_id)


class MarkedQuestionFile(BaseModel):
    """One question of a file of questions marked as private matters."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    text: Annotated[str, Field(min_length=1, max_length=2000)]
    added_by: Annotated[str, Field(min_length=1, max_length=80)] = "import"


def questions_yaml() -> tuple[str, int]:
    """The marked questions as YAML (text, who), oldest first, so that another
    database gets them back (``mark_questions``); and how many."""
    with session_scope() as session:
        rows = session.scalars(select(EverydayQuestion).order_by(EverydayQuestion.id))
        items = [{"text": q.text, "added_by": q.added_by} for q in rows]
    return yaml.safe_dump(items, allow_unicode=True, sort_keys=False), len(items)


def mark_questions(text: str, dry_run: bool = False) -> tuple[int, list[QuestionProblem]]:
    """Mark the questions of a ``questions_yaml`` text: how many were new, and
    what is wrong with the bad items. With any bad item nothing changes; with
    ``dry_run`` nothing changes either (the console's preview)."""
    items, problems = read_question_file(text, MarkedQuestionFile)
    if problems:
        return 0, problems
    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(EverydayQuestion)) or 0
        for item in items:
            mark(item.text, item.added_by, session)
        session.flush()
        added = (session.scalar(select(func.count()).select_from(EverydayQuestion)) or 0) - before
        if dry_run:
            session.rollback()
    return added, []
