"""Dossier status look-up, details behind a second factor, subscriptions and
notifications, in the citizen's conversation.

Fixed phrases are ``utter_*`` responses in ``bot/domain/status.yml``; only
text built from a dossier is written here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.guides import offer_resume
from actions.responses import send
from dossiers import store
from dossiers.codes import is_valid_code
from dossiers.sources import SourceUnavailable, get_source
from dossiers.statuses import STATUSES
from dossiers.store import DossierView
from knowledge.answers import Answer, Button, payload
from nlu.text import find_dossier_codes
from settings import get_settings

# Exactly four ASCII digits (full-width or other scripts' digits are not accepted).
_DIGITS = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
# Vietnam's time (no daylight saving): event times are stored in UTC.
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
# Channels that cannot reach the citizen later: the web chat page may be closed.
_NO_NOTIFICATIONS = frozenset({"rest"})


def _date(value: dt.date | None) -> str | None:
    return value.strftime("%d/%m/%Y") if value else None


def status_text(view: DossierView) -> str:
    """The status in plain words: short, with the appointment date; no personal data."""
    status = STATUSES[view.status]
    lines = [f"Hồ sơ {view.code}: {status.label}"]
    if view.appointment_on and view.status in ("received", "processing", "supplement_required", "overdue"):
        lines.append(f"Ngày hẹn trả kết quả: {_date(view.appointment_on)}.")
    if view.status == "supplement_required" and view.supplement_deadline:
        lines.append(f"Hạn bổ sung: {_date(view.supplement_deadline)}.")
    lines.append(status.next_step)
    return "\n".join(lines)


def details_text(view: DossierView) -> str:
    fields = [
        ("Người nộp", view.applicant_name),
        ("Cơ quan tiếp nhận", view.agency),
        ("Ngày tiếp nhận", _date(view.received_on)),
        ("Ghi chú của cơ quan", view.note),
        ("Nơi nhận kết quả", view.result_place),
        ("Kết quả điện tử", view.online_result_url),
    ]
    lines = [f"Chi tiết hồ sơ {view.code}:", *(f"- {label}: {value}" for label, value in fields if value)]
    for entry in view.history:
        lines.append(f"- {entry.occurred_at.astimezone(VIETNAM):%d/%m/%Y %H:%M}: {STATUSES[entry.status].label}")
    return "\n".join(lines)


def _status_buttons(code: str, notifiable: bool) -> list[Button]:
    subscribe = [Button("Báo cho tôi khi hồ sơ thay đổi", payload("subscribe_status", dossier_code=code))]
    return [
        *(subscribe if notifiable else []),
        Button("Xem chi tiết", payload("dossier_details", dossier_code=code)),
        Button("Gặp cán bộ", payload("handoff")),
    ]


def notifiable(tracker: Tracker) -> bool:
    """Whether the citizen's channel can be written to later (not the web chat)."""
    return (tracker.get_latest_input_channel() or "rest") not in _NO_NOTIFICATIONS


def _busy(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_dossier_source_busy", hotline=get_settings().hotline)


def _locked(dispatcher: CollectingDispatcher, code: str) -> None:
    settings = get_settings()
    dispatcher.utter_message(
        response="utter_dossier_details_locked", code=code, office_name=settings.office_name, hotline=settings.hotline
    )


def _codes_in_message(tracker: Tracker) -> list[str]:
    from_entities = list(dict.fromkeys(tracker.get_latest_entity_values("dossier_code")))
    return from_entities or [m.code for m in find_dossier_codes(tracker.latest_message.get("text") or "")]


async def answer_status(dispatcher: CollectingDispatcher, codes: list[str], notifiable: bool = True) -> str | None:
    """Answer each code; returns the last code that was found."""
    source = get_source()
    found = None
    for code in codes:
        if not is_valid_code(code):
            dispatcher.utter_message(response="utter_bad_dossier_code")
            continue
        try:
            view = await source.lookup(code)
        except SourceUnavailable:
            _busy(dispatcher)
            return found
        if view is None:
            dispatcher.utter_message(response="utter_unknown_dossier_code", code=code)
            continue
        send(dispatcher, Answer(status_text(view), _status_buttons(code, notifiable)))
        found = code
    return found


class ActionDossierStatus(Action):
    """Status of the code(s) in the message, or ask for the code."""

    def name(self) -> str:
        return "action_dossier_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        store.touch_conversation(tracker.sender_id)
        codes = _codes_in_message(tracker)
        if not codes:
            looks_like_code = bool(re.search(r"[0-9]", tracker.latest_message.get("text") or ""))
            asked = tracker.get_slot("requested") == "dossier_code"
            dispatcher.utter_message(
                response="utter_bad_dossier_code" if looks_like_code and asked else "utter_ask_dossier_code"
            )
            return [SlotSet("requested", "dossier_code")]
        if not all([store.allow_lookup(tracker.sender_id) for _ in codes]):
            dispatcher.utter_message(response="utter_too_many_lookups", hotline=get_settings().hotline)
            return [SlotSet("requested", None)]
        found = await answer_status(dispatcher, codes, notifiable(tracker))
        offer_resume(dispatcher, tracker)
        return [SlotSet("requested", None), SlotSet("dossier_code", found or codes[-1])]


class ActionHandleCodeInput(Action):
    """A message of digits or a code: the answer to whatever was asked last."""

    def name(self) -> str:
        return "action_handle_code_input"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if tracker.get_slot("requested") == "second_factor":
            return await ActionCheckSecondFactor().run(dispatcher, tracker, domain)
        return await ActionDossierStatus().run(dispatcher, tracker, domain)


def ask_second_factor(dispatcher: CollectingDispatcher, code: str, then: str) -> list[dict]:
    """Ask for the phone's last 4 digits before ``then`` ("details" or "subscribe")."""
    if store.details_locked(code):
        _locked(dispatcher, code)
        return [SlotSet("dossier_code", code), SlotSet("requested", None), SlotSet("after_verify", None)]
    response = "utter_ask_second_factor_to_subscribe" if then == "subscribe" else "utter_ask_second_factor"
    dispatcher.utter_message(response=response, code=code)
    return [SlotSet("dossier_code", code), SlotSet("requested", "second_factor"), SlotSet("after_verify", then)]


class ActionAskSecondFactor(Action):
    def name(self) -> str:
        return "action_ask_second_factor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None) or tracker.get_slot("dossier_code")
        if not code:
            dispatcher.utter_message(response="utter_ask_dossier_code")
            return [SlotSet("requested", "dossier_code")]
        return ask_second_factor(dispatcher, code, then="details")


class ActionCheckSecondFactor(Action):
    """Compare the digits (the limit follows the dossier), then do what was asked."""

    def name(self) -> str:
        return "action_check_second_factor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = tracker.get_slot("dossier_code")
        digits = _DIGITS.findall(tracker.latest_message.get("text") or "")
        if not code or len(digits) != 1:
            dispatcher.utter_message(response="utter_ask_four_digits")
            return []
        done = [SlotSet("requested", None), SlotSet("after_verify", None)]
        try:
            view = await get_source().lookup(code)
        except SourceUnavailable:
            _busy(dispatcher)
            return done
        if view is None:
            dispatcher.utter_message(response="utter_unknown_dossier_code", code=code)
            return done
        result = store.check_second_factor(code, digits[0], view.second_factor_hash)
        if result.locked and not result.ok:
            _locked(dispatcher, code)
            return done
        if not result.ok:
            dispatcher.utter_message(response="utter_second_factor_wrong", attempts_left=result.attempts_left)
            return []
        if tracker.get_slot("after_verify") == "subscribe":
            _subscribe(dispatcher, tracker, code)
        else:
            dispatcher.utter_message(text=details_text(view))
        return [*done, SlotSet("verified_dossier", code)]


def _subscribe(dispatcher: CollectingDispatcher, tracker: Tracker, code: str) -> None:
    store.subscribe(code, tracker.sender_id, tracker.get_latest_input_channel() or "rest")
    dispatcher.utter_message(response="utter_subscribed", code=code)


class ActionSubscribeStatus(Action):
    """Subscribe the conversation, once it has given the dossier's second factor."""

    def name(self) -> str:
        return "action_subscribe_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None) or tracker.get_slot("dossier_code")
        if not code:
            dispatcher.utter_message(response="utter_ask_dossier_code")
            return [SlotSet("requested", "dossier_code")]
        try:
            view = await get_source().lookup(code)
        except SourceUnavailable:
            _busy(dispatcher)
            return []
        if view is None:
            dispatcher.utter_message(response="utter_unknown_dossier_code", code=code)
            return [SlotSet("requested", "dossier_code")]
        if not notifiable(tracker):
            dispatcher.utter_message(response="utter_no_notifications_on_web")
            return [SlotSet("dossier_code", code)]
        if tracker.get_slot("verified_dossier") != code:
            return ask_second_factor(dispatcher, code, then="subscribe")
        _subscribe(dispatcher, tracker, code)
        return [SlotSet("dossier_code", code)]


class ActionUnsubscribeStatus(Action):
    def name(self) -> str:
        return "action_unsubscribe_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None)
        stopped = store.unsubscribe(tracker.sender_id, code)
        dispatcher.utter_message(response="utter_unsubscribed" if stopped else "utter_nothing_to_unsubscribe")
        return []


class ActionNotifyStatus(Action):
    """Runs when the dossier service triggers ``dossier_status_changed``."""

    def name(self) -> str:
        return "action_notify_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None)
        view = store.lookup(code) if code else None
        if view is None:
            return []
        text = "Dạ, hồ sơ của anh/chị vừa có thay đổi.\n" + status_text(view)
        send(dispatcher, Answer(text, _status_buttons(view.code, True)))
        return []
