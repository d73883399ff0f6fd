"""The current cards and national catalog, read from the app database, for the NLU.

Rasa caches trained components by fingerprint and never sees the database,
so the matcher does not learn cards at training time: it reads them at run
time and re-reads them when a cheap change token (card count and versions,
catalog entries, questions attached to entries, questions marked as private
matters) moves, checked at most every
``refresh_seconds``. An edit in the console is therefore matched within
seconds, without retraining. In a Rasa server (``in_background``), once the
first cards are in, the check and the rebuild (about a second for the whole
catalog) run on a thread of their own while the matcher in hand keeps
answering: its event loop never waits on the database or on an editor's
publish. The console reads in line: its pages show the cards as they are now. Written with
SQLAlchemy Core calls that behave the same in 1.4 (engine) and 2.0 (app).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from typing import Any

import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from knowledge import change_tokens
from nlu.everyday import everyday_matters
from nlu.matcher import CatalogText, EverydayText, Matcher, card_text

logger = logging.getLogger(__name__)

_CARDS_SQL = text("SELECT data FROM cards")
# Internal procedures (between agencies) are not what citizens ask about.
_CATALOG_SQL = text(
    "SELECT code, name, scope, province, targets FROM catalog_entries WHERE NOT withdrawn AND scope <> 'internal'"
)
_QUESTIONS_SQL = text("SELECT code, text FROM catalog_questions ORDER BY id")
_TOKENS = (change_tokens.CARDS, change_tokens.CATALOG, change_tokens.QUESTIONS, change_tokens.EVERYDAY)
_EVERYDAY_SQL = text("SELECT text FROM everyday_questions ORDER BY id")
# The questions editors marked as private matters, as one more everyday matter.
EDITORS_EVERYDAY = "marked-by-editors"


class CardSource:
    def __init__(
        self,
        database_url: str,
        refresh_seconds: float = 2.0,
        home_province: str | None = None,
        in_background: bool = False,
    ) -> None:
        self._engine = create_engine(_engine_env_url(database_url), pool_pre_ping=True)
        self._home_province = home_province
        self._refresh_seconds = refresh_seconds
        self._in_background = in_background
        self._checked_at = float("-inf")
        self._token: Any = None
        self._matcher = Matcher([])
        self._reloading = threading.Lock()

    def matcher(self) -> Matcher:
        """The current matcher, re-read first when a check is due; ``in_background``,
        only the first call waits for the cards, later ones answer at once."""
        now = time.monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return self._matcher
        self._checked_at = now
        if self._token is None or not self._in_background:
            self._reload_if_changed()
        elif self._reloading.acquire(blocking=False):
            threading.Thread(target=self._reload_in_background, name="card-source", daemon=True).start()
        return self._matcher

    def _reload_in_background(self) -> None:
        try:
            self._reload_if_changed()
        finally:
            self._reloading.release()

    def _reload_if_changed(self) -> None:
        try:
            with self._engine.connect() as connection:
                token = tuple(value for sql in _TOKENS for value in connection.execute(sql).one())
                if token == self._token:
                    return
                rows = connection.execute(_CARDS_SQL).all()
                questions: dict[str, list[str]] = defaultdict(list)
                for code, question in connection.execute(_QUESTIONS_SQL):
                    questions[code].append(question)
                entries = [
                    CatalogText(
                        code,
                        name,
                        scope,
                        province,
                        questions=tuple(questions.get(code, ())),
                        targets=tuple(_as_json(targets) or ()),
                    )
                    for code, name, scope, province, targets in connection.execute(_CATALOG_SQL)
                ]
                marked = tuple(row[0] for row in connection.execute(_EVERYDAY_SQL))
        except SQLAlchemyError as exc:
            logger.warning("Cannot read cards (%s); keeping %d cards.", type(exc).__name__, len(self._matcher))
            return
        cards = [_as_json(row[0]) for row in rows]
        everyday = [*everyday_matters(), EverydayText(EDITORS_EVERYDAY, marked)] if marked else everyday_matters()
        self._matcher = Matcher((card_text(card) for card in cards), entries, self._home_province, everyday)
        self._token = token
        logger.info("Loaded %d cards and %d catalog entries for matching.", len(cards), len(entries))


def _engine_env_url(url: str) -> str:
    """The app names psycopg 3 (SQLAlchemy 2); the engine has SQLAlchemy 1.4 and psycopg2.
    The console (app environment) runs a CardSource too, with the URL as it is."""
    if not sqlalchemy.__version__.startswith("1."):
        return url
    return url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)


def _as_json(value: Any) -> Any:
    """A JSON column's value: SQLite gives its text, PostgreSQL the value."""
    return json.loads(value) if isinstance(value, str) else value
