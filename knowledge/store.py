"""The knowledge store: cards in the database, the source of truth at run time.

Imports are all-or-nothing: a set of cards with any error changes nothing,
so a bad file never costs the cards already loaded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database import get_engine, session_scope
from knowledge import change_tokens
from knowledge.catalog import get_catalog
from knowledge.loader import CardError, card_files, load_cards
from knowledge.models import CardRevision, CardRow
from knowledge.schema import Card, LifeEventCard, ProcedureCard
from settings import get_settings


class CardImportError(Exception):
    def __init__(self, errors: list[CardError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def check_cards(cards: list[Card]) -> list[CardError]:
    """Checks across cards: catalog ids, references, unique short codes."""
    catalog = get_catalog()
    procedure_ids = {c.id for c in cards if isinstance(c, ProcedureCard)}
    life_event_ids = {c.id for c in cards if isinstance(c, LifeEventCard)} | set(catalog.life_events)
    errors: list[CardError] = []
    for card in cards:
        where = f"{card.kind}/{card.id}"
        if isinstance(card, ProcedureCard):
            errors += [
                CardError(where, "related", f"unknown procedure '{r}'", "unknown", r)
                for r in card.related
                if r not in procedure_ids
            ]
            errors += [
                CardError(where, "life_events", f"unknown life event '{e}'", "unknown", e)
                for e in card.life_events
                if e not in life_event_ids
            ]
        else:
            errors += [
                CardError(where, "steps", f"unknown procedure '{s.procedure}'", "unknown", s.procedure)
                for s in card.steps
                if s.procedure not in procedure_ids
            ]
    codes = Counter(c.short_code for c in cards)
    errors += [
        CardError(f"{c.kind}/{c.id}", "short_code", f"'{c.short_code}' is used twice", "repeated", c.short_code)
        for c in cards
        if codes[c.short_code] > 1
    ]
    return errors


def missing_catalog_ids(cards: list[Card]) -> list[str]:
    catalog = get_catalog()
    have_procedures = {c.id for c in cards if isinstance(c, ProcedureCard)}
    have_events = {c.id for c in cards if isinstance(c, LifeEventCard)}
    return sorted(set(catalog.procedures) - have_procedures) + sorted(
        f"life_event:{e}" for e in set(catalog.life_events) - have_events
    )


def validate_files(paths: list[Path] | None = None) -> tuple[list[Card], list[CardError]]:
    cards, errors = load_cards(paths if paths is not None else card_files())
    return cards, errors + check_cards(cards)


@dataclass(frozen=True)
class ImportResult:
    changed: int
    kept: list[str]  # "kind/id" of cards edited in the database since, left as they are


def import_files(paths: list[Path] | None = None, author: str = "seed", force: bool = False) -> ImportResult:
    """Validate card files and upsert them, all or nothing.

    A card whose latest revision was written by someone else than ``author``
    (an editor, in the database) is kept as it is unless ``force``: re-seeding
    must never silently undo an editor's correction.
    """
    # Checks across cards run on the cards as they would be after the import, so
    # a province may import only some cards, referring to ones already loaded.
    cards, errors = load_cards(paths if paths is not None else card_files())
    if errors:
        raise CardImportError(errors)
    with session_scope() as session:
        kept = [card for card in cards if not force and _edited_since(session, card, author)]
        incoming = [card for card in cards if card not in kept]
        existing = _current_cards(session)
        combined = {(c.kind, c.id): c for c in existing} | {(c.kind, c.id): c for c in incoming}
        errors = check_cards(list(combined.values()))
        if errors:
            raise CardImportError(errors)
        changed = sum(_upsert(session, card, author) for card in incoming)
        return ImportResult(changed, [f"{card.kind}/{card.id}" for card in kept])


def _edited_since(session: Session, card: Card, author: str) -> bool:
    latest = session.scalar(
        select(CardRevision.author)
        .where(CardRevision.kind == card.kind, CardRevision.id == card.id)
        .order_by(CardRevision.revision_id.desc())
        .limit(1)
    )
    return latest is not None and latest != author


def save_card(card: Card, author: str, session: Session | None = None) -> bool:
    """Save one edited card (the console's path); True if anything changed.
    Inside ``session`` when given, so the console's audit entry and draft go with it."""
    if session is None:
        with session_scope() as own:
            return save_card(card, author, own)
    errors = check_with_current(card, session)
    if errors:
        raise CardImportError(errors)
    return _upsert(session, card, author)


def check_with_current(card: Card, session: Session) -> list[CardError]:
    """``check_cards`` of ``card`` among the other current cards."""
    others = [c for c in _current_cards(session) if (c.kind, c.id) != (card.kind, card.id)]
    return check_cards([*others, card])


def _upsert(session: Session, card: Card, author: str) -> bool:
    data = card.model_dump(mode="json")
    row = session.get(CardRow, (card.kind, card.id))
    if row is not None and row.data == data:
        return False
    if row is None:
        row = CardRow(kind=card.kind, id=card.id, short_code=card.short_code, data=data, version=1)
        session.add(row)
    else:
        row.short_code, row.data, row.version = card.short_code, data, row.version + 1
    session.flush()
    session.add(CardRevision(kind=card.kind, id=card.id, version=row.version, data=data, author=author))
    return True


def _current_cards(session: Session) -> list[Card]:
    return [to_card(row.kind, row.data) for row in session.scalars(select(CardRow))]


def to_card(kind: str, data: dict) -> Card:
    model = ProcedureCard if kind == "procedure" else LifeEventCard
    return model.model_validate(data)


def all_cards() -> list[Card]:
    with session_scope() as session:
        return _current_cards(session)


def get_card(kind: str, card_id: str) -> Card | None:
    with session_scope() as session:
        row = session.get(CardRow, (kind, card_id))
        return to_card(row.kind, row.data) if row else None


class _CurrentCards:
    """The cards as the action server answers from them, re-read only when the
    change token moves (card count and versions: what the matcher watches).

    An edit in the console is answered from the next message on, as before,
    while a turn costs one small query instead of an ORM read per card (2.3 ms
    of CPU each on SQLite; the token, 0.2 ms).
    """

    def __init__(self) -> None:
        # One attribute, replaced whole: a reader in another thread never pairs
        # a new token with the old cards.
        self._read: tuple[tuple, dict[tuple[str, str], Card]] = ((), {})

    def __call__(self) -> dict[tuple[str, str], Card]:
        url = get_settings().database_url
        with get_engine(url).connect() as connection:
            key = (url, *connection.execute(change_tokens.CARDS).one())
            known, cards = self._read
            if key == known:
                return cards
            rows = connection.execute(select(CardRow.kind, CardRow.id, CardRow.data)).all()
        cards = {(kind, card_id): to_card(kind, data) for kind, card_id, data in rows}
        self._read = (key, cards)
        return cards


_current = _CurrentCards()


def current_card(kind: str, card_id: str) -> Card | None:
    """The card as it is now, for answering (shared: not to be changed in place)."""
    return _current().get((kind, card_id))


def current_cards() -> list[Card]:
    """Every card as it is now, for answering (shared: not to be changed in place)."""
    return list(_current().values())


def find_by_short_code(code: str) -> Card | None:
    with session_scope() as session:
        row = session.scalars(select(CardRow).where(func.upper(CardRow.short_code) == code.upper())).first()
        return to_card(row.kind, row.data) if row else None


def export_cards(directory: Path) -> int:
    """Write every card of the database as YAML, in the seed layout."""
    cards = all_cards()
    for card in cards:
        folder = directory / ("procedures" if card.kind == "procedure" else "life_events")
        folder.mkdir(parents=True, exist_ok=True)
        data = card.model_dump(mode="json", exclude_defaults=False)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
        (folder / f"{card.id}.yaml").write_text(text, encoding="utf-8")
    return len(cards)
