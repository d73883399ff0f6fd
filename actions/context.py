"""What the conversation is about: the procedure in focus, from the latest
message or from the context of earlier ones."""

from __future__ import annotations

from rasa_sdk import Tracker

from nlu.matcher import CONFIDENT_SCORE, is_confident

ASKED = "?"


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def candidates_of(tracker: Tracker) -> list[dict]:
    return tracker.latest_message.get("procedure_candidates") or []


def from_button(tracker: Tracker) -> bool:
    return (tracker.latest_message.get("text") or "").startswith("/")


def question_text(tracker: Tracker) -> str:
    """What the citizen last wrote: the latest message, or, when it is a
    button's payload ("/ask_procedure{…}"), the last message typed before it."""
    if not from_button(tracker):
        return tracker.latest_message.get("text") or ""
    typed = (event.get("text") or "" for event in reversed(tracker.events) if event.get("event") == "user")
    return next((text for text in typed if not text.startswith("/")), "")


def resolve_procedure(tracker: Tracker) -> str | None:
    """The procedure the message is about: named by a button, matched with
    confidence, or in context for a follow-up. ``ASKED`` when the match is
    unsure and the citizen must choose; None when there is nothing at all."""
    named = entity(tracker, "procedure")
    if named and from_button(tracker):
        return named
    candidates = candidates_of(tracker)
    scores = [c["score"] for c in candidates]
    if is_confident(scores):
        return candidates[0]["id"]
    in_context = tracker.get_slot("procedure")
    elsewhere = [c["score"] for c in tracker.latest_message.get("catalog_candidates") or [] if not c.get("card")]
    strong = max([*scores, *elsewhere], default=0.0) >= CONFIDENT_SCORE
    if in_context and not strong and not tracker.latest_message.get("everyday_matter"):
        return in_context  # a follow-up: "còn lệ phí thì sao?"
    return ASKED if candidates else None
