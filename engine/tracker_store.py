"""Rasa's SQL tracker store, with personal numbers masked before they are stored.

The tracker keeps every message a citizen wrote. The digits typed as a second
factor (the last 4 digits of the applicant's phone) must never be kept, nor
ID and phone numbers anywhere in a message; dossier codes stay, staff need
them. The action that checks the digits has already run when Rasa saves the
turn (``MessageProcessor.handle_message`` saves last), so masking here takes
nothing from the conversation.

In the endpoints file: ``tracker_store: type: engine.tracker_store.PrivateSQLTrackerStore``
with the options of Rasa's ``SQL`` store, or ``database_url:`` alone: a
SQLAlchemy URL in the app's form (``TTHC_TRACKER_DATABASE_URL``, shared with
``python -m retention``), whose driver is swapped for the engine's own.
Checked against Rasa 3.6.21.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from engine.tracker_writes import CountedSQLTrackerStore
from nlu.text import mask_digits, mask_personal_numbers

# The slot that says what the assistant asked for last (bot/domain/status.yml).
REQUESTED_SLOT = "requested"
SECOND_FACTOR = "second_factor"


def mask_events(events: Iterable[Event]) -> None:
    """Mask, in place, what each user message must not leave behind."""
    requested = None
    for event in events:
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, UserUttered):
            _mask_message(event, everything=requested == SECOND_FACTOR)


def _mask_message(event: UserUttered, everything: bool) -> None:
    mask = mask_digits if everything else mask_personal_numbers
    if event.text:
        event.text = mask(event.text)
    if isinstance(event.parse_data, dict) and isinstance(event.parse_data.get("text"), str):
        event.parse_data["text"] = mask(event.parse_data["text"])


def sql_options(database_url: str) -> dict[str, Any]:
    """Rasa's ``SQLTrackerStore`` options for a SQLAlchemy URL; the engine
    environment has psycopg2, the app environment psycopg 3."""
    url = make_url(database_url)
    return {
        "dialect": url.get_backend_name(),
        "host": url.host,
        "port": url.port,
        "db": url.database,
        "username": url.username,
        "password": url.password,
        "query": dict(url.query) or None,
    }


class PrivateSQLTrackerStore(CountedSQLTrackerStore):
    """Rasa's ``SQLTrackerStore`` (without its needless work: ``engine.tracker_writes``)
    that stores masked user messages."""

    def __init__(self, *args: Any, database_url: str | None = None, **kwargs: Any) -> None:
        if database_url:
            kwargs.update(sql_options(database_url))
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        mask_events(tracker.events)
        await super().save(tracker)
