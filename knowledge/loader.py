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
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


def card_files(directory: Path = CARDS_DIR) -> list[Path]:
    return sorted(p for sub in _MODELS for p in (directory / sub).glob("*.yaml"))


def load_card_file(path: Path) -> tuple[Card | None, list[CardError]]:
    """One card from one file; the kind comes from the folder it is in."""
    model = _MODELS.get(path.parent.name)
    if model is None:
        return None, [CardError(str(path), "-", "cards live in procedures/ or life_events/")]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [CardError(str(path), "-", f"cannot read YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [CardError(str(path), "-", "a card is a mapping of fields")]
    try:
        card = model.model_validate(raw)
    except ValidationError as exc:
        return None, [
            CardError(str(path), ".".join(str(p) for p in err["loc"]) or "-", err["msg"]) for err in exc.errors()
        ]
    if card.id != path.stem:
        return None, [CardError(str(path), "id", f"'{card.id}' differs from the file name")]
    return card, []


def load_cards(paths: list[Path]) -> tuple[list[Card], list[CardError]]:
    cards: list[Card] = []
    errors: list[CardError] = []
    for path in paths:
        card, card_errors = load_card_file(path)
        errors.extend(card_errors)
        if card is not None:
            cards.append(card)
    return cards, errors
