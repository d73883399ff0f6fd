"""State the action server keeps between messages: walkthrough progress
(so a citizen can leave and come back) and ratings of the help."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UtcDateTime


class GuideProgress(Base):
    __tablename__ = "guide_progress"

    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    guide: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(20))  # checklist | steps | rating
    step: Mapped[int] = mapped_column(Integer, default=0)
    trouble: Mapped[str | None] = mapped_column(String(40))
    trouble_step: Mapped[int] = mapped_column(Integer, default=0)
    procedure_id: Mapped[str | None] = mapped_column(String(80))
    have: Mapped[list] = mapped_column(JSON, default=list)  # indexes of documents the citizen has
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guide: Mapped[str] = mapped_column(String(40))
    procedure_id: Mapped[str | None] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
