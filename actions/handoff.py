"""Handing the citizen over to a person: the hotline and the one-stop office
(``utter_handoff`` in ``bot/domain/handoff.yml``, filled from the settings)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge.unanswered import denied_question, record_unanswered
from settings import get_settings


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        denied = denied_question(tracker.events)
        if denied is not None:  # "Không phải, gặp cán bộ" after the cards offered: the editors look at it
            record_unanswered(denied.text, tracker.get_latest_input_channel() or "unknown", "denied", denied.card)
        settings = get_settings()
        dispatcher.utter_message(
            response="utter_handoff",
            hotline=settings.hotline,
            office_name=settings.office_name,
            office_hours=settings.office_hours,
        )
        return []
