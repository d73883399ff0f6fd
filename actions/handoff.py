"""Handing the citizen over to a person (``handoff/``).

"Gặp cán bộ", a second misunderstanding in a row (``actions.fallback``), an
abstention the citizen insists on (``actions.catalog``) and a low rating
(``actions.guides``) all call ``offer_person``: within working hours the
request enters the staff inbox and the citizen is told roughly when a person
answers; outside them, when the office opens, and that they may leave a
phone number. The staff's replies reach the citizen through
``action_staff_reply``, which the console runs in the paused conversation.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from handoff import store
from handoff.hours import office_schedule, say_when
from handoff.rasa_api import MARK
from knowledge.unanswered import denied_question, record_unanswered
from settings import get_settings

STAFF_REPLY_ACTION = "action_staff_reply"
HAND_BACK_ACTION = "action_handoff_back"


def offer_person(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> None:
    """Open (or keep) the conversation's handoff request and tell the citizen what happens next."""
    settings = get_settings()
    schedule = office_schedule()
    now = store.utcnow()
    open_now = schedule.is_open(now)
    request, _ = store.open_request(
        tracker.sender_id,
        reason,
        outside_hours=not open_now,
        procedure_id=tracker.get_slot("procedure"),
        dossier_code=tracker.get_slot("dossier_code"),
    )
    if request.state == "taken":
        dispatcher.utter_message(response="utter_handoff_in_progress")
        return
    if open_now:
        dispatcher.utter_message(
            response="utter_handoff_queued", minutes=settings.handoff_reply_minutes, hotline=settings.hotline
        )
        return
    opening = schedule.next_opening(now)
    when = say_when(opening, schedule.zone) if opening else settings.office_hours
    dispatcher.utter_message(response="utter_handoff_closed", opening=when, hotline=settings.hotline)


def said_before_this_message(tracker: Tracker, response: str) -> bool:
    """Whether the assistant's last message before the citizen's current one was ``response``."""
    seen_current = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_current:
                return False
            seen_current = True
        elif event.get("event") == "bot" and seen_current:
            return (event.get("metadata") or {}).get("utter_action") == response
    return False


class ActionHandoff(Action):
    """The citizen asked for a person."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        denied = denied_question(tracker.events)
        if denied is not None:  # "Không phải, gặp cán bộ" after the cards offered: the editors look at it
            record_unanswered(denied.text, tracker.get_latest_input_channel() or "unknown", "denied", denied.card)
        offer_person(dispatcher, tracker, "asked")
        return []


class ActionHandoffPhone(Action):
    """Keeps the phone number a citizen leaves for a call back."""

    def name(self) -> str:
        return "action_handoff_phone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        phone = store.find_phone(tracker.latest_message.get("text") or "")
        if phone is None:
            dispatcher.utter_message(response="utter_handoff_phone_unreadable")
        elif store.leave_phone(tracker.sender_id, phone):
            dispatcher.utter_message(response="utter_handoff_phone_kept")
        else:
            dispatcher.utter_message(response="utter_handoff_phone_without_request")
        return []


class ActionStaffReply(Action):
    """Says the staff's new replies in the conversation, on its own channel.

    The console runs it through Rasa's ``execute`` API after storing a reply,
    so the message goes out through the output channel the assistant uses and
    stays in the conversation's history. Each reply is claimed once.
    """

    def name(self) -> str:
        return STAFF_REPLY_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        for text in store.claim_unsent(tracker.sender_id):
            dispatcher.utter_message(text=text, **{MARK: "staff"})
        return []


class ActionHandoffBack(Action):
    """Tells the citizen the assistant answers again (the console runs it after the resume)."""

    def name(self) -> str:
        return HAND_BACK_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_handoff_back", **{MARK: "back"})
        return []
