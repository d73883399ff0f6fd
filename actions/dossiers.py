"""Dossier status look-up, details behind a second factor, subscriptions and
notifications, in the citizen's conversation."""

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

ASK_CODE = (
    "Dạ, anh/chị cho em xin mã hồ sơ ạ. Mã in trên phiếu hẹn trả kết quả (giấy biên nhận), "
    "hoặc trong tin nhắn SMS, email báo đã nhận hồ sơ, có dạng như H29.22-240903-0007."
)
BAD_CODE = (
    "Dạ, mã này chưa đúng dạng mã hồ sơ. Mã hồ sơ gồm các nhóm chữ và số nối bằng dấu chấm và gạch ngang, "
    "ví dụ H29.22-240903-0007 hoặc 000.00.15.H29-240301-0012. Anh/chị kiểm tra lại giúp em ạ."
)
UNKNOWN_CODE = (
    "Dạ, em chưa tìm thấy hồ sơ mã {code}. Có thể hệ thống chưa cập nhật hồ sơ mới nộp hôm nay, "
    "hoặc mã bị gõ nhầm. Anh/chị xem lại mã trên phiếu hẹn, tin nhắn SMS hoặc email, rồi gửi lại giúp em ạ."
)
BUSY = (
    "Dạ, hệ thống tra cứu hồ sơ đang bận, em chưa tra được lúc này. "
    "Anh/chị vui lòng thử lại sau ít phút, hoặc gọi tổng đài {hotline} ạ."
)
ASK_SECOND_FACTOR = (
    "Dạ, để bảo vệ thông tin cá nhân, anh/chị cho em xin 4 chữ số cuối của số điện thoại đã ghi khi nộp hồ sơ {code} ạ."
)
LOCKED = (
    "Dạ, anh/chị đã nhập sai nhiều lần nên em tạm khóa việc xem chi tiết trong {minutes} phút. "
    "Anh/chị vẫn xem được tình trạng hồ sơ, hoặc hỏi trực tiếp bộ phận một cửa ạ."
)
_DIGITS = re.compile(r"\d{4}")


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
        lines.append(f"- {entry.occurred_at.strftime('%d/%m/%Y %H:%M')}: {STATUSES[entry.status].label}")
    return "\n".join(lines)


def _status_buttons(code: str) -> list[Button]:
    return [
        Button("Báo cho tôi khi hồ sơ thay đổi", payload("subscribe_status", dossier_code=code)),
        Button("Xem chi tiết", payload("dossier_details", dossier_code=code)),
        Button("Gặp cán bộ", payload("handoff")),
    ]


def _codes_in_message(tracker: Tracker) -> list[str]:
    from_entities = list(dict.fromkeys(tracker.get_latest_entity_values("dossier_code")))
    return from_entities or [m.code for m in find_dossier_codes(tracker.latest_message.get("text") or "")]


async def answer_status(dispatcher: CollectingDispatcher, codes: list[str]) -> str | None:
    """Answer each code; returns the last code that was found."""
    source = get_source()
    found = None
    for code in codes:
        if not is_valid_code(code):
            dispatcher.utter_message(text=BAD_CODE)
            continue
        try:
            view = await source.lookup(code)
        except SourceUnavailable:
            dispatcher.utter_message(text=BUSY.format(hotline=get_settings().hotline))
            return found
        if view is None:
            dispatcher.utter_message(text=UNKNOWN_CODE.format(code=code))
            continue
        send(dispatcher, Answer(status_text(view), _status_buttons(code)))
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
            looks_like_code = bool(re.search(r"\d", tracker.latest_message.get("text") or ""))
            asked = tracker.get_slot("requested") == "dossier_code"
            dispatcher.utter_message(text=BAD_CODE if looks_like_code and asked else ASK_CODE)
            return [SlotSet("requested", "dossier_code")]
        found = await answer_status(dispatcher, codes)
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


class ActionAskSecondFactor(Action):
    def name(self) -> str:
        return "action_ask_second_factor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None) or tracker.get_slot("dossier_code")
        if not code:
            dispatcher.utter_message(text=ASK_CODE)
            return [SlotSet("requested", "dossier_code")]
        dispatcher.utter_message(text=ASK_SECOND_FACTOR.format(code=code))
        return [SlotSet("dossier_code", code), SlotSet("requested", "second_factor")]


class ActionCheckSecondFactor(Action):
    def name(self) -> str:
        return "action_check_second_factor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = tracker.get_slot("dossier_code")
        digits = _DIGITS.findall(tracker.latest_message.get("text") or "")
        if not code or len(digits) != 1:
            dispatcher.utter_message(text="Dạ, anh/chị nhập đúng 4 chữ số cuối của số điện thoại giúp em ạ.")
            return []
        result = store.check_second_factor(tracker.sender_id, code, digits[0])
        if result.locked:
            dispatcher.utter_message(text=LOCKED.format(minutes=get_settings().second_factor_lock_minutes))
            return [SlotSet("requested", None)]
        if not result.ok:
            dispatcher.utter_message(
                text=f"Dạ, 4 chữ số này chưa khớp với hồ sơ. Anh/chị còn {result.attempts_left} lần thử ạ."
            )
            return []
        try:
            view = await get_source().lookup(code)
        except SourceUnavailable:
            dispatcher.utter_message(text=BUSY.format(hotline=get_settings().hotline))
            return [SlotSet("requested", None)]
        dispatcher.utter_message(text=details_text(view) if view else UNKNOWN_CODE.format(code=code))
        return [SlotSet("requested", None)]


class ActionSubscribeStatus(Action):
    def name(self) -> str:
        return "action_subscribe_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None) or tracker.get_slot("dossier_code")
        if not code or store.lookup(code) is None:
            dispatcher.utter_message(text=ASK_CODE)
            return [SlotSet("requested", "dossier_code")]
        channel = tracker.get_latest_input_channel() or "rest"
        store.subscribe(code, tracker.sender_id, channel)
        dispatcher.utter_message(
            text=f"Dạ, khi hồ sơ {code} thay đổi, em sẽ nhắn anh/chị ngay tại đây. "
            'Muốn dừng, anh/chị nhắn "hủy thông báo" ạ.'
        )
        return [SlotSet("dossier_code", code)]


class ActionUnsubscribeStatus(Action):
    def name(self) -> str:
        return "action_unsubscribe_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = next(iter(_codes_in_message(tracker)), None)
        stopped = store.unsubscribe(tracker.sender_id, code)
        text = (
            "Dạ, em đã dừng gửi thông báo hồ sơ cho anh/chị."
            if stopped
            else "Dạ, anh/chị chưa đăng ký nhận thông báo hồ sơ nào ạ."
        )
        dispatcher.utter_message(text=text)
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
        send(dispatcher, Answer("Dạ, hồ sơ của anh/chị vừa có thay đổi.\n" + status_text(view), _status_buttons(code)))
        return []
