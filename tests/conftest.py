"""Fixtures shared by the app-side tests (Python 3.11+)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from settings import get_settings

POSTGRES_URL = os.environ.get("TTHC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("TTHC_DATABASE_URL", url)
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh, migrated app database: SQLite and PostgreSQL in turn."""
    from database import migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        _use_database(monkeypatch, url)
        migrate(url)
        yield url
        get_settings.cache_clear()
        return
    with postgres_schema() as url:
        _use_database(monkeypatch, url)
        migrate(url)
        yield url
    get_settings.cache_clear()


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of a fresh schema in the PostgreSQL test database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    from database import get_engine

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
