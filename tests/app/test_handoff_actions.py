"""Opening a handoff from the assistant (each trigger), phone numbers left
outside hours, staff replies claimed once; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import answer_without_card
from actions.fallback import ActionDefaultFallback
from actions.handoff import ActionHandoff, ActionHandoffBack, ActionHandoffPhone, ActionStaffReply
from handoff import store
from settings import get_settings

SENDER = "zalo_oa:4242"
ALWAYS = "mon-sun 00:00-24:00"


@pytest.fixture
def hours(monkeypatch):
    """Sets the office hours for the test (every setting is read once per process)."""

    def set_hours(spec: str) -> None:
        monkeypatch.setenv("TTHC_HANDOFF_HOURS", spec)
        get_settings.cache_clear()

    return set_hours


def tracker(text: str, intent: str, events: list[dict] | None = None, slots: dict | None = None, loop=None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    history = [*(events or []), {"event": "user", "text": text, "parse_data": latest}]
    return Tracker(SENDER, slots or {}, latest, history, False, None, loop or {}, "action_listen")


def run(action, tracker_: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker_, {})
    return dispatcher.messages


def test_within_hours_the_request_waits_in_the_inbox(database_url, hours):
    hours(ALWAYS)
    slots = {"procedure": "khai-sinh", "dossier_code": "HS-001"}
    [message] = run(ActionHandoff(), tracker("gặp cán bộ", "handoff", slots=slots))
    assert message["response"] == "utter_handoff_queued"
    assert message["minutes"] == 15
    [request] = store.open_requests()
    assert (request.conversation, request.channel, request.reason, request.state) == (
        SENDER,
        "zalo_oa",
        "asked",
        "waiting",
    )
    assert (request.procedure_id, request.dossier_code, request.outside_hours) == ("khai-sinh", "HS-001", False)


def test_asking_twice_keeps_one_request(database_url, hours):
    hours(ALWAYS)
    run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    assert len(store.open_requests()) == 1


def test_outside_hours_says_when_the_office_opens_and_keeps_a_phone(database_url, hours):
    hours("")  # never open: nothing configured
    [message] = run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    assert message["response"] == "utter_handoff_closed"
    assert message["hotline"] == get_settings().hotline
    [request] = store.open_requests()
    assert request.outside_hours

    [kept] = run(ActionHandoffPhone(), tracker("sdt của tôi là 0912 345 678", "leave_phone"))
    assert kept["response"] == "utter_handoff_phone_kept"
    assert store.open_requests()[0].phone == "0912345678"
    assert store.masked_phone("0912345678") == "09******78"


def test_the_opening_time_is_in_the_message(database_url, hours, monkeypatch):
    hours("mon 07:30-11:30")
    monday_noon = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.timezone.utc)  # 12:00 in Vietnam
    monkeypatch.setattr(store, "utcnow", lambda: monday_noon)
    [message] = run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    assert message["response"] == "utter_handoff_closed"
    assert message["opening"] == "07:30 thứ Hai, 14/12/2026"
    monkeypatch.setattr(store, "utcnow", lambda: monday_noon - dt.timedelta(hours=1))  # 11:00: open
    store.close_waiting(store.open_requests()[0].id, "an", "test")
    [message] = run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    assert message["response"] == "utter_handoff_queued"


def test_an_unreadable_or_early_phone_number_is_said_so(database_url, hours):
    hours(ALWAYS)
    [message] = run(ActionHandoffPhone(), tracker("0912 345 678", "leave_phone"))
    assert message["response"] == "utter_handoff_phone_without_request"
    run(ActionHandoff(), tracker("gặp cán bộ", "handoff"))
    [message] = run(ActionHandoffPhone(), tracker("số tôi là 12345", "leave_phone"))
    assert message["response"] == "utter_handoff_phone_unreadable"


def test_a_second_misunderstanding_in_a_row_opens_a_handoff(database_url, hours):
    hours(ALWAYS)
    first = {"event": "user", "text": "abc", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    [message] = run(
        ActionDefaultFallback(),
        tracker("xyz", "nlu_fallback", events=[first], loop={"name": "action_two_stage_fallback"}),
    )
    assert message["response"] == "utter_handoff_queued"
    assert store.open_requests()[0].reason == "not_understood"


def test_another_core_fallback_only_says_it_did_not_understand(database_url, hours):
    hours(ALWAYS)
    [message] = run(ActionDefaultFallback(), tracker("xyz", "greet"))
    assert message["response"] == "utter_default"
    assert store.open_requests() == []


def test_an_abstention_the_citizen_insists_on_opens_a_handoff(database_url, hours):
    hours(ALWAYS)
    dispatcher = CollectingDispatcher()
    answer_without_card(dispatcher, tracker("thủ tục nuôi rồng", "ask_procedure"))
    assert dispatcher.messages[0]["response"] == "utter_abstain"
    assert store.open_requests() == []

    abstained = [
        {"event": "user", "text": "thủ tục nuôi rồng", "parse_data": {}},
        {"event": "bot", "text": "Dạ, em chưa có thông tin", "metadata": {"utter_action": "utter_abstain"}},
    ]
    dispatcher = CollectingDispatcher()
    answer_without_card(dispatcher, tracker("tôi vẫn muốn hỏi nuôi rồng", "ask_procedure", events=abstained))
    assert dispatcher.messages[0]["response"] == "utter_handoff_queued"
    assert store.open_requests()[0].reason == "abstained"


def test_a_citizen_who_insists_on_a_private_matter_is_offered_a_person(database_url, hours):
    hours(ALWAYS)
    declined = [
        {"event": "user", "text": "thẻ atm bị nuốt", "parse_data": {}},
        {"event": "bot", "text": "Dạ, câu hỏi này…", "metadata": {"utter_action": "utter_not_a_procedure"}},
    ]
    insisting = tracker("vậy thẻ atm làm lại ở đâu", "ask_procedure", events=declined)
    insisting.latest_message["everyday_matter"] = {"id": "bank-cards", "score": 0.7}
    dispatcher = CollectingDispatcher()
    answer_without_card(dispatcher, insisting)
    assert dispatcher.messages[0]["response"] == "utter_handoff_queued"
    assert store.open_requests()[0].reason == "abstained"


def test_staff_replies_are_said_once_with_the_mark(database_url, hours):
    hours(ALWAYS)
    request, created = store.open_request(SENDER, "asked", False)
    assert created
    assert store.take(request.id, "canbo1")
    assert store.add_reply(request.id, "canbo1", "Dạ, chào anh/chị") is not None
    assert store.add_reply(request.id, "canbo1", "Anh/chị cần gì ạ?") is not None
    messages = run(ActionStaffReply(), tracker("", "handoff"))
    assert [(m["text"], m["handoff"]) for m in messages] == [
        ("Dạ, chào anh/chị", "staff"),
        ("Anh/chị cần gì ạ?", "staff"),
    ]
    assert run(ActionStaffReply(), tracker("", "handoff")) == []
    [back] = run(ActionHandoffBack(), tracker("", "handoff"))
    assert (back["response"], back["handoff"]) == ("utter_handoff_back", "back")


def test_two_staff_cannot_take_the_same_conversation(database_url):
    request, _ = store.open_request(SENDER, "asked", False)
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def take(name: str) -> None:
        barrier.wait()
        results.append(store.take(request.id, name))

    threads = [threading.Thread(target=take, args=(name,)) for name in ("an", "binh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    taken = store.get(request.id)
    assert taken is not None and taken.state == "taken"


def test_only_the_taker_replies_and_hands_back_with_a_note(database_url):
    request, _ = store.open_request(SENDER, "asked", False)
    assert store.add_reply(request.id, "an", "xin chào") is None  # not taken yet
    assert store.take(request.id, "an")
    assert store.add_reply(request.id, "binh", "xin chào") is None
    assert not store.close(request.id, "binh", "xong")
    assert store.close(request.id, "an", "Đã hướng dẫn nộp hồ sơ")
    assert store.open_requests() == []
    # A new request may open once the last one is closed.
    again, created = store.open_request(SENDER, "low_rating", False)
    assert created and again.id != request.id


def test_phone_numbers_are_found_in_what_citizens_type():
    assert store.find_phone("sdt 0912.345.678 nhé") == "0912345678"
    assert store.find_phone("+84 912 345 678") == "0912345678"
    assert store.find_phone("cccd 001099012345") is None  # an ID number, not a phone
    assert store.find_phone("không có số") is None
