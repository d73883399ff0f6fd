"""Database access for the app: the one place that creates engines and sessions.

SQLite under ``var/`` is the embedded default; set ``TTHC_DATABASE_URL`` to a
PostgreSQL URL (``postgresql+psycopg://...``) in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, Engine, Executable, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from settings import get_settings


class Base(DeclarativeBase):
    pass


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC and read back aware, on every database.

    SQLite keeps the clock time and drops the offset: 08:30+07:00 would read
    back as 08:30 UTC, seven hours off. Storing UTC makes the naive value right.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=dt.timezone.utc)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url``, by default the configured database (one per URL)."""
    return _engine(url or get_settings().database_url)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_if_missing(session: Session, model: type[Base], **values: Any) -> None:
    """Insert a row unless its key exists, atomically (``ON CONFLICT DO NOTHING``):
    a read-then-insert would race between processes."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())


Row = TypeVar("Row", bound=Base)


def delete_row(session: Session, model: type[Row], key: Any) -> Row | None:
    """Delete the row of ``model`` whose primary key is ``key``: the deleted row,
    or None when there is no such row."""
    row = session.get(model, key)
    if row is not None:
        session.delete(row)
    return row


def updated_rows(session: Session, statement: Executable) -> int:
    """Run an ``UPDATE`` (or ``DELETE``) and say how many rows it changed."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def migrate(url: str | None = None) -> None:
    """Bring the database schema up to date (Alembic, ``migrations/``)."""
    from alembic import command
    from alembic.config import Config

    from settings import ROOT

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")
