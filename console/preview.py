"""What a citizen would read: each aspect of a card as the web chat shows it
(text and buttons, from ``knowledge.answers``) and as Zalo gets it (numbered
options, cut at Zalo's limit, by ``channels.render``) — the assistant's own
renderers, so the preview cannot drift from the answers."""

from __future__ import annotations

from dataclasses import dataclass

from channels.render import ZALO_OA, render
from knowledge import store
from knowledge.answers import ASPECT_LABELS, Answer, answer_life_event, answer_procedure
from knowledge.schema import ASPECTS, Card, ProcedureCard


@dataclass(frozen=True)
class Shown:
    label: str
    web: Answer
    zalo: list[str]  # one Zalo message per item


def _zalo(answer: Answer) -> list[str]:
    message = {"text": answer.text, "buttons": [{"title": b.title, "payload": b.payload} for b in answer.buttons]}
    return [part.text for part in render(message, ZALO_OA).parts if part.text]


def preview(card: Card) -> list[Shown]:
    """The overview and every aspect of a procedure card; the steps of a life event."""
    if isinstance(card, ProcedureCard):
        answers = [("Tổng quan", answer_procedure(card, None))]
        answers += [(ASPECT_LABELS[aspect], answer_procedure(card, aspect)) for aspect in ASPECTS]
    else:
        names = {c.id: c.name for c in store.all_cards() if isinstance(c, ProcedureCard)}
        answers = [("Các việc cần làm", answer_life_event(card, names))]
    return [Shown(label, answer, _zalo(answer)) for label, answer in answers]
