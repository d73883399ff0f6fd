"""The Vietnamese two-stage fallback: Rasa's built-in question is English."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import offer_person
from actions.responses import send
from knowledge.answers import Answer, Button, payload
from knowledge.unanswered import record_unanswered

INTENT_LABELS: dict[str, str] = {
    "ask_procedure": "Hỏi về một thủ tục",
    "life_event": "Việc cần làm khi có sự kiện (sinh con, kết hôn...)",
    "check_status": "Tra cứu hồ sơ đã nộp",
    "create_account": "Tạo, đăng nhập tài khoản",
    "submit_online": "Nộp hồ sơ trực tuyến",
    "handoff": "Gặp cán bộ",
    "help": "Xem em giúp được gì",
}
_MAX_CHOICES = 3
NLU_FALLBACK = "nlu_fallback"
TWO_STAGE_FALLBACK = "action_two_stage_fallback"


class ActionDefaultAskAffirmation(Action):
    """Asks "Có phải anh/chị muốn ...?" with the likeliest meanings as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        channel = tracker.get_latest_input_channel() or "unknown"
        record_unanswered(tracker.latest_message.get("text") or "", channel, "fallback")
        names = [r.get("name") for r in ranking if r.get("name") in INTENT_LABELS][:_MAX_CHOICES]
        buttons = [Button(INTENT_LABELS[name], payload(name)) for name in names]
        buttons.append(Button("Không phải", payload("deny")))
        send(dispatcher, Answer("Dạ, có phải anh/chị muốn:", buttons))
        return []


class ActionDefaultFallback(Action):
    """Rasa's two-stage fallback gives up (a second misunderstanding in a row,
    or a second "không phải"): then a person takes over. Any other core
    fallback only says it did not understand."""

    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        in_fallback = (tracker.active_loop or {}).get("name") == TWO_STAGE_FALLBACK
        if in_fallback or _last_intents(tracker, 2) == [NLU_FALLBACK, NLU_FALLBACK]:
            offer_person(dispatcher, tracker, "not_understood")
        else:
            dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


def _last_intents(tracker: Tracker, count: int) -> list[str | None]:
    names = [e.get("parse_data", {}).get("intent", {}).get("name") for e in tracker.events if e.get("event") == "user"]
    return names[-count:]
