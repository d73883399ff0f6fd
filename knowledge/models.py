"""Tables of the knowledge store."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, UtcDateTime


class CardRow(Base):
    """The current version of a card. ``data`` is the validated card as JSON."""

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("short_code", name="uq_cards_short_code"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    short_code: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class CardRevision(Base):
    """Every version a card has had, so an edit can be reviewed or undone."""

    __tablename__ = "card_revisions"

    revision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())


class CatalogEntry(Base):
    """One procedure of the national catalog: the facts the assistant may say
    about a procedure that has no card (derived from the portal's catalog
    export; never the records' texts)."""

    __tablename__ = "catalog_entries"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. "1.001193"
    name: Mapped[str] = mapped_column(Text)
    fields: Mapped[list] = mapped_column(JSON, default=list)  # lĩnh vực
    agencies: Mapped[list] = mapped_column(JSON, default=list)  # who handles it
    authority: Mapped[str | None] = mapped_column(String(200))  # who issued it
    targets: Mapped[list] = mapped_column(JSON, default=list)  # who it is for
    scope: Mapped[str] = mapped_column(String(20))  # national | provincial | internal
    province: Mapped[str | None] = mapped_column(String(100))  # of a provincial procedure
    page_id: Mapped[str | None] = mapped_column(String(64))  # its page on the national portal
    state: Mapped[str] = mapped_column(String(20))  # as the export says (ACTIVE, UPDATED)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)  # missing from the latest export
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class CatalogQuestion(Base):
    """A citizen's question an editor attached to a catalog entry without a card:
    the matcher reads it as one more way of naming the entry (as a card's
    example questions), so words no official name uses find the procedure."""

    __tablename__ = "catalog_questions"
    __table_args__ = (UniqueConstraint("code", "text", name="uq_catalog_questions_code_text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())


class EverydayQuestion(Base):
    """A citizen's question an editor marked as a private matter, not a procedure
    (a bank card, a shop's service): the matcher reads it as one more everyday
    matter (``knowledge/everyday.yml``), so it and questions like it get no card."""

    __tablename__ = "everyday_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text, unique=True)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
