"""Helpers for changing a Rasa message's NLU result."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def set_intent(message: Message, name: str, confidence: float) -> None:
    """Make ``name`` the message's intent, at the top of the ranking."""
    intent = {"name": name, "confidence": confidence}
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
