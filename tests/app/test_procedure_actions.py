"""The procedure, life-event and hand-off actions, run as the action server
runs them: a ``Tracker`` in, responses and slots out."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from actions.procedures import ActionAnswerLifeEvent, ActionAnswerProcedure, decide_reply
from knowledge import store
from knowledge.answers import answer_procedure
from settings import get_settings


@pytest.fixture
def cards(database_url):
    store.import_files()


def tracker(text: str, candidates: list[dict] | None = None, entities: dict | None = None, **slots: str) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "ask_procedure", "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "procedure_candidates": candidates or [],
    }
    events = [{"event": "user", "text": text, "input_channel": "zalo_oa", "parse_data": latest}]
    return Tracker("zalo_oa:1", dict(slots), latest, events, False, None, {}, "action_listen")


def run(action, tracker: Tracker) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_confident_match_answers_the_aspect_asked_and_keeps_the_context(cards):
    candidates = [{"id": "khai-sinh", "score": 0.9}]
    messages, slots = run(ActionAnswerProcedure(), tracker("lệ phí khai sinh", candidates, {"aspect": "fees"}))
    assert messages[0]["text"].startswith("Đăng ký khai sinh")
    assert "rà soát ngày" in messages[0]["text"]
    assert slots == {"procedure": "khai-sinh"}


def test_a_follow_up_uses_the_procedure_in_context(cards):
    messages, _ = run(
        ActionAnswerProcedure(), tracker("còn lệ phí thì sao", [], {"aspect": "fees"}, procedure="ho-chieu")
    )
    assert "hộ chiếu" in messages[0]["text"].lower()


def test_an_unsure_match_asks_which_never_answers_a_card(cards):
    candidates = [{"id": "khai-sinh", "score": 0.41}, {"id": "khai-tu", "score": 0.40}]
    messages, slots = run(ActionAnswerProcedure(), tracker("giấy tờ", candidates))
    assert messages[0]["text"].startswith("Dạ, có phải anh/chị hỏi về")
    assert "Không phải, thủ tục khác" in [b["title"] for b in messages[0]["buttons"]]
    assert slots == {}


def _with_catalog(asked: Tracker, *entries: tuple[str, str, float]) -> Tracker:
    asked.latest_message["catalog_candidates"] = [
        {"code": code, "name": name, "score": score, "card": None} for code, name, score in entries
    ]
    return asked


def test_an_unsure_match_offers_the_likely_procedure_without_a_card_too(cards):
    """ "Mất bằng lái" names the renewal card, unsure; the reissue has no card."""
    asked = tracker(
        "mất bằng lái xe thì làm lại thế nào", [{"id": "doi-gplx", "score": 0.49}], {"procedure": "doi-gplx"}
    )
    asked = _with_catalog(
        asked, ("3.000348", "Cấp lại giấy phép lái xe", 0.5), ("3.000346", "Cấp giấy phép lái xe", 0.45)
    )
    messages, slots = run(ActionAnswerProcedure(), asked)
    buttons = messages[0]["buttons"]
    assert messages[0]["text"] == (
        'Dạ, có phải anh/chị hỏi về "Cấp đổi giấy phép lái xe", "Cấp lại giấy phép lái xe", '
        '"Cấp giấy phép lái xe" không ạ?'
    )
    assert [b["payload"] for b in buttons] == [
        '/ask_procedure{"procedure": "doi-gplx"}',  # named by the NLU: first, though it scores less
        '/ask_procedure{"catalog_code": "3.000348"}',
        '/ask_procedure{"catalog_code": "3.000346"}',
        "/help",
    ]
    assert slots == {}


@pytest.mark.parametrize(
    "entry",
    [
        ("1.004884", "Thủ tục đăng ký lại khai sinh", 0.29),  # under CANDIDATE_SCORE
        ("1.004884", "Thủ tục đăng ký lại khai sinh", 0.36),  # not close to the best card (0.9 of 0.41)
    ],
)
def test_an_unsure_match_offers_only_cards_when_no_other_entry_comes_close(cards, entry):
    candidates = [{"id": "khai-sinh", "score": 0.41}, {"id": "khai-tu", "score": 0.40}]
    asked = _with_catalog(tracker("giấy tờ", candidates), entry)
    messages, _ = run(ActionAnswerProcedure(), asked)
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/ask_procedure{"procedure": "khai-sinh"}',
        '/ask_procedure{"procedure": "khai-tu"}',
        "/help",
    ]


def test_the_choice_answers_the_aspect_the_unsure_question_asked(cards):
    candidates = [{"id": "khai-tu", "score": 0.3}]
    asked = tracker("mẹ tôi mất đã gần 20 ngày, đăng ký khai tử trễ có phải nộp lệ phí không", candidates)
    asked.latest_message["entities"] = [{"entity": "aspect", "value": "fees"}]
    messages, _ = run(ActionAnswerProcedure(), asked)
    choice = messages[0]["buttons"][0]["payload"]
    assert choice == '/ask_procedure{"procedure": "khai-tu", "aspect": "fees"}'

    card = store.current_card("procedure", "khai-tu")
    answered, slots = run(ActionAnswerProcedure(), tracker(choice, [], {"procedure": "khai-tu", "aspect": "fees"}))
    assert answered[0]["text"] == answer_procedure(card, "fees").text != answer_procedure(card, None).text
    assert slots == {"procedure": "khai-tu"}


@pytest.mark.parametrize(
    ("candidates", "entities", "reply"),
    [
        ([{"id": "khai-sinh", "score": 0.9}], {"procedure": "khai-sinh"}, ("card", "khai-sinh")),
        ([{"id": "khai-sinh", "score": 0.9}, {"id": "khai-tu", "score": 0.85}], {}, ("ask_which", "")),
        # Named, but not confidently: asked about, never answered.
        ([{"id": "khai-sinh", "score": 0.4}], {"procedure": "khai-sinh"}, ("ask_which", "")),
        # Named, and it fits a life event too: the NLU's best match of all is answered.
        (
            [{"id": "khai-sinh", "score": 0.35}],
            {"procedure": "khai-sinh", "life_event": "sinh-con"},
            ("card", "khai-sinh"),
        ),
        # Named with a life event it is no step of ("hồ sơ xin việc gồm những gì": certified
        # copies, and work and insurance): the two disagree, so the card is asked about.
        (
            [{"id": "chung-thuc-ban-sao", "score": 0.4}],
            {"procedure": "chung-thuc-ban-sao", "life_event": "viec-lam-bao-hiem"},
            ("ask_which", ""),
        ),
        ([], {"life_event": "sinh-con"}, ("life_event", "sinh-con")),
        ([], {}, ("ask_procedure", "")),
    ],
)
def test_the_reply_is_decided_without_answering(candidates, entities, reply):
    assert decide_reply(tracker("cho hỏi", candidates, entities)) == reply


def test_a_follow_up_keeps_its_card_against_a_middling_match_of_another():
    """ "còn lệ phí thì sao" after a passport answer: a card scoring 0.4 would be
    answered as a first question, not to leave the card in context."""
    candidates = [{"id": "khai-sinh", "score": 0.4}]
    follow_up = tracker("còn lệ phí thì sao", candidates, {"aspect": "fees"}, procedure="ho-chieu")
    assert decide_reply(follow_up) == ("card", "ho-chieu")


def test_nothing_matched_asks_for_the_procedure_with_life_events(cards):
    messages, _ = run(ActionAnswerProcedure(), tracker("cho hỏi"))
    assert messages[0]["response"] == "utter_ask_which_procedure"
    assert any(b["payload"].startswith("/life_event") for b in messages[0]["buttons"])


def test_a_button_for_a_card_that_no_longer_exists(cards):
    messages, slots = run(
        ActionAnswerProcedure(), tracker('/ask_procedure{"procedure": "xoa"}', [], {"procedure": "xoa"})
    )
    assert messages[0]["response"] == "utter_missing_card"
    assert slots == {"procedure": None}


def test_a_life_event_lists_its_procedures_in_order(cards):
    messages, slots = run(ActionAnswerLifeEvent(), tracker("sinh con", [], {"life_event": "sinh-con"}))
    assert messages[0]["text"].startswith("Dạ, khi sinh con")
    assert slots == {"life_event": "sinh-con"}


def test_handoff_gives_the_configured_hotline(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_HANDOFF_HOURS", "mon-sun 00:00-24:00")  # more in tests/app/test_handoff_actions.py
    get_settings.cache_clear()
    messages, _ = run(ActionHandoff(), tracker("gặp cán bộ"))
    settings = get_settings()
    assert messages == [{**messages[0], "response": "utter_handoff_queued", "hotline": settings.hotline, "minutes": 15}]


def test_a_life_event_question_the_matcher_could_not_place_gets_the_honest_answer(cards):
    question = "cho em hỏi thủ tục đăng ký học bơi mùa hè cho con ở bể bơi gần nhà"
    messages, _ = run(ActionAnswerLifeEvent(), tracker(question))
    assert [m["response"] for m in messages] == ["utter_abstain"]


def test_a_bare_life_event_request_asks_which(cards):
    messages, _ = run(ActionAnswerLifeEvent(), tracker("việc gia đình"))
    assert messages[0]["response"] == "utter_ask_which_procedure"


def test_an_edit_is_answered_from_the_next_message(cards):
    """The action server keeps the cards between turns; an edit must not wait."""
    asked = tracker("lệ phí khai sinh", [{"id": "khai-sinh", "score": 0.9}], {"aspect": "time"})
    card = store.get_card("procedure", "khai-sinh")
    store.save_card(card.model_copy(update={"time": "Trong ngày làm việc (đã sửa)"}), author="bien.tap")
    assert "(đã sửa)" in run(ActionAnswerProcedure(), asked)[0][0]["text"]
    store.save_card(card.model_copy(update={"time": "Ngay trong ngày (sửa lần hai)"}), author="bien.tap")
    assert "(sửa lần hai)" in run(ActionAnswerProcedure(), asked)[0][0]["text"]


def test_a_card_that_also_names_a_life_event_points_to_the_life_events_other_procedures(cards):
    """ "bố em mới mất thì làm giấy tờ gì": the death registration answers, and
    the rest of what a death asks for (the funeral allowance…) is a button away."""
    named = {"procedure": "khai-tu", "life_event": "nguoi-than-qua-doi"}
    messages, slots = run(ActionAnswerProcedure(), tracker("bố em mới mất thì làm giấy tờ gì", [], named))
    assert messages[0]["text"].startswith("Đăng ký khai tử")
    pointer = next(m for m in messages if m.get("response") == "utter_life_event_pointer")
    assert pointer["name"] == "Người thân qua đời"
    assert [b["payload"] for b in pointer["buttons"]] == ['/life_event{"life_event": "nguoi-than-qua-doi"}']
    assert slots == {"procedure": "khai-tu"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("khai tử ở đâu", {"procedure": "khai-tu"}),  # no life event named
        ("bố em mới mất, làm hộ chiếu", {"procedure": "ho-chieu", "life_event": "nguoi-than-qua-doi"}),  # not its step
        ('/ask_procedure{"procedure": "khai-tu"}', {"procedure": "khai-tu", "life_event": "nguoi-than-qua-doi"}),
    ],
)
def test_no_life_event_pointer_without_a_life_event_it_belongs_to_or_after_a_button(cards, text, named):
    messages, _ = run(ActionAnswerProcedure(), tracker(text, [], named))
    assert messages and all(m.get("response") != "utter_life_event_pointer" for m in messages)
