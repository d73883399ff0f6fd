"""Handing the citizen over to a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.responses import send
from knowledge.answers import Answer, Button, payload
from settings import get_settings


def handoff_answer() -> Answer:
    settings = get_settings()
    text = (
        "Dạ, anh/chị có thể gặp cán bộ:\n"
        f"- Gọi tổng đài hỗ trợ: {settings.hotline}\n"
        f"- Đến trực tiếp: {settings.office_name}, {settings.office_hours}.\n"
        "Khi gọi hoặc đến, anh/chị mang theo mã hồ sơ (nếu đã nộp) để được tra cứu nhanh ạ."
    )
    return Answer(text, [Button("Quay lại menu", payload("help"))])


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        send(dispatcher, handoff_answer())
        return []
