"""The dossier actions, run as the action server runs them: a ``Tracker`` in,
responses and events out (the way rasa-demo tests its actions)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossiers import (
    ActionAskSecondFactor,
    ActionCheckSecondFactor,
    ActionDossierStatus,
    ActionSubscribeStatus,
    ActionUnsubscribeStatus,
)
from dossiers import store
from dossiers.events import StatusEvent
from settings import get_settings

CODE = "H29.22-240903-0007"


@pytest.fixture
def dossier(database_url: str) -> str:
    store.apply_event(
        StatusEvent(
            event_id="seed",
            dossier_code=CODE,
            status="processing",
            occurred_at=dt.datetime(2024, 9, 4, 1, 30, tzinfo=dt.timezone.utc),
            applicant_name="Nguyễn Văn A",
            applicant_phone_last4="6789",
        ),
        "province-test",
    )
    return CODE


def tracker(text: str, channel: str = "telegram", sender: str = "telegram:42", **slots: str | None) -> Tracker:
    latest = {"text": text, "intent": {"name": "inform_code"}, "entities": []}
    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": latest}]
    return Tracker(sender, dict(slots), latest, events, False, None, {}, "action_listen")


def run(action, tracker: Tracker) -> tuple[list[dict], dict[str, object]]:
    """The messages sent and the slots set by ``action``."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict]) -> list[str | None]:
    return [m.get("response") for m in messages]


def test_status_by_code_offers_notifications_on_a_platform(dossier):
    messages, slots = run(ActionDossierStatus(), tracker(f"hồ sơ {CODE.lower()} đến đâu rồi"))
    assert f"Hồ sơ {CODE}: Hồ sơ đang được giải quyết." in messages[0]["text"]
    assert "Nguyễn Văn A" not in messages[0]["text"]
    assert "Báo cho tôi khi hồ sơ thay đổi" in [b["title"] for b in messages[0]["buttons"]]
    assert slots["dossier_code"] == CODE


def test_the_web_chat_is_not_offered_notifications_it_cannot_receive(dossier):
    messages, _ = run(ActionDossierStatus(), tracker(CODE, channel="rest", sender="web:abc"))
    assert "Báo cho tôi khi hồ sơ thay đổi" not in [b["title"] for b in messages[0]["buttons"]]
    messages, _ = run(ActionSubscribeStatus(), tracker(CODE, channel="rest", sender="web:abc", verified_dossier=CODE))
    assert responses(messages) == ["utter_no_notifications_on_web"]
    assert store.unsubscribe("web:abc") == 0


def test_no_code_asks_for_it_and_a_malformed_one_is_explained(database_url):
    messages, slots = run(ActionDossierStatus(), tracker("hồ sơ của tôi đến đâu rồi"))
    assert responses(messages) == ["utter_ask_dossier_code"]
    assert slots["requested"] == "dossier_code"
    messages, _ = run(ActionDossierStatus(), tracker("H29-2409", requested="dossier_code"))
    assert responses(messages) == ["utter_bad_dossier_code"]


def test_unknown_code(database_url):
    messages, _ = run(ActionDossierStatus(), tracker("000.00.15.H29-240301-0099"))
    assert messages[0]["response"] == "utter_unknown_dossier_code"
    assert messages[0]["code"] == "000.00.15.H29-240301-0099"


def test_look_ups_beyond_the_hourly_limit_are_refused(dossier, monkeypatch):
    monkeypatch.setenv("TTHC_LOOKUPS_PER_HOUR", "2")
    get_settings.cache_clear()
    for _ in range(2):
        assert responses(run(ActionDossierStatus(), tracker(CODE))[0]) == [None]
    messages, _ = run(ActionDossierStatus(), tracker(CODE))
    assert responses(messages) == ["utter_too_many_lookups"]


def test_details_after_the_right_digits(dossier):
    messages, slots = run(ActionAskSecondFactor(), tracker(f"xem chi tiết {CODE}"))
    assert responses(messages) == ["utter_ask_second_factor"]
    assert (slots["requested"], slots["after_verify"]) == ("second_factor", "details")
    messages, slots = run(ActionCheckSecondFactor(), tracker("6789", dossier_code=CODE, after_verify="details"))
    assert "Nguyễn Văn A" in messages[0]["text"]
    assert slots["verified_dossier"] == CODE


def test_wrong_digits_say_how_many_tries_are_left(dossier):
    messages, slots = run(ActionCheckSecondFactor(), tracker("1111", dossier_code=CODE))
    assert messages == [{**messages[0], "response": "utter_second_factor_wrong", "attempts_left": 4}]
    assert "verified_dossier" not in slots


@pytest.mark.parametrize("text", ["６７８９", "67890", "67 89", "tôi không nhớ"])
def test_only_four_ascii_digits_count_as_an_answer(dossier, text):
    messages, _ = run(ActionCheckSecondFactor(), tracker(text, dossier_code=CODE))
    assert responses(messages) == ["utter_ask_four_digits"]
    assert store.check_second_factor(CODE, "0000", None).attempts_left == 4  # no attempt was spent


def test_a_locked_dossier_says_so_and_points_to_the_office(dossier):
    for n in range(5):
        run(ActionCheckSecondFactor(), tracker(f"{n:04d}", sender=f"telegram:{n}", dossier_code=CODE))
    messages, _ = run(ActionCheckSecondFactor(), tracker("6789", sender="telegram:99", dossier_code=CODE))
    assert responses(messages) == ["utter_dossier_details_locked"]
    assert messages[0]["office_name"] == get_settings().office_name
    messages, slots = run(ActionAskSecondFactor(), tracker(f"chi tiết {CODE}", sender="telegram:100"))
    assert responses(messages) == ["utter_dossier_details_locked"]
    assert slots["requested"] is None


def test_subscribing_needs_the_second_factor_first(dossier):
    messages, slots = run(ActionSubscribeStatus(), tracker(CODE))
    assert responses(messages) == ["utter_ask_second_factor_to_subscribe"]
    assert slots["after_verify"] == "subscribe"
    assert store.unsubscribe("telegram:42") == 0  # nobody was subscribed

    messages, slots = run(ActionCheckSecondFactor(), tracker("6789", dossier_code=CODE, after_verify="subscribe"))
    assert responses(messages) == ["utter_subscribed"]
    assert slots["verified_dossier"] == CODE
    assert store.unsubscribe("telegram:42") == 1


def test_a_verified_conversation_subscribes_at_once_and_unsubscribes(dossier):
    messages, _ = run(ActionSubscribeStatus(), tracker(CODE, verified_dossier=CODE))
    assert responses(messages) == ["utter_subscribed"]
    messages, _ = run(ActionUnsubscribeStatus(), tracker("hủy thông báo"))
    assert responses(messages) == ["utter_unsubscribed"]
    messages, _ = run(ActionUnsubscribeStatus(), tracker("hủy thông báo"))
    assert responses(messages) == ["utter_nothing_to_unsubscribe"]
