"""Reading card files: YAML in, validated cards out, or errors that name the
file and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.schema import Card, LifeEventCard, ProcedureCard
from settings import ROOT

CARDS_DIR = ROOT / "knowledge" / "cards"
_MODELS: dict[str, type[ProcedureCard] | type[LifeEventCard]] = {
    "procedures": ProcedureCard,
    "life_events": LifeEventCard,
}


@dataclass(frozen=True)
class CardError:
    """A problem with a card, in English for the command line; ``kind`` and
    ``subject`` let the console say it in Vietnamese (``console.reasons``)."""

    file: str
    field: str
    message: str
    kind: str = (
        ""  # pydantic's error type, or the checks' own: folder, yaml, not_mapping, id_mismatch, unknown, repeated
    )
    subject: str = ""  # the value the problem is about: an unknown id, a repeated short code

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


def card_files(directory: Path = CARDS_DIR) -> list[Path]:
    return sorted(p for sub in _MODELS for p in (directory / sub).glob("*.yaml"))


def load_card_file(path: Path) -> tuple[Card | None, list[CardError]]:
    """One card from one file; the kind comes from the folder it is in."""
    model = _MODELS.get(path.parent.name)
    if model is None:
        return None, [CardError(str(path), "-", "cards live in procedures/ or life_events/", "folder")]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [CardError(str(path), "-", f"cannot read YAML: {exc}", "yaml", _line(exc))]
    if not isinstance(raw, dict):
        return None, [CardError(str(path), "-", "a card is a mapping of fields", "not_mapping")]
    try:
        card = model.model_validate(raw)
    except ValidationError as exc:
        return None, [
            CardError(str(path), ".".join(str(p) for p in err["loc"]) or "-", err["msg"], err["type"])
            for err in exc.errors()
        ]
    if card.id != path.stem:
        return None, [CardError(str(path), "id", f"'{card.id}' differs from the file name", "id_mismatch", card.id)]
    return card, []


def _line(exc: Exception) -> str:
    """The line YAML stumbled on, counted from 1 ("" when it does not say)."""
    mark = getattr(exc, "problem_mark", None)
    return str(mark.line + 1) if mark is not None else ""


def load_cards(paths: list[Path]) -> tuple[list[Card], list[CardError]]:
    cards: list[Card] = []
    errors: list[CardError] = []
    for path in paths:
        card, card_errors = load_card_file(path)
        errors.extend(card_errors)
        if card is not None:
            cards.append(card)
    return cards, errors
