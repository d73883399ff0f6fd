"""The walkthrough actions, run as the action server runs them: a ``Tracker``
in, responses out, progress in the database."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete

from actions.guides import (
    ActionGuideChecked,
    ActionGuideHave,
    ActionGuideNext,
    ActionGuideResume,
    ActionGuideStart,
    ActionGuideStop,
    ActionGuideTrouble,
    ActionRate,
)
from console.figures import ratings_summary
from database import session_scope
from knowledge import store
from knowledge.guides import all_guides
from knowledge.models import CardRow

SENDER = "telegram:7"


@pytest.fixture
def cards(database_url):
    store.import_files()


def tracker(intent: str, last_action: str = "action_listen", **entities: str) -> Tracker:
    latest = {
        "text": "/" + intent,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }
    events = [
        {"event": "action", "name": last_action},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": latest["text"], "input_channel": "telegram", "parse_data": latest},
    ]
    return Tracker(SENDER, {}, latest, events, False, None, {}, "action_listen")


def run(action, tracker: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    return dispatcher.messages


def responses(messages: list[dict]) -> list[str | None]:
    return [m.get("response") for m in messages]


def test_the_account_guide_starts_at_step_one(cards):
    messages = run(ActionGuideStart(), tracker("create_account"))
    assert messages[0]["text"] == all_guides()["account"].intro
    assert messages[1]["response"] == "utter_guide_step"
    assert messages[1]["step"].startswith(f"Bước 1/{len(all_guides()['account'].steps)}")


def test_typing_tiep_right_after_a_step_advances_like_the_button(cards):
    run(ActionGuideStart(), tracker("create_account"))
    messages = run(ActionGuideResume(), tracker("guide_resume", last_action="action_guide_start"))
    assert messages[0]["step"].startswith("Bước 2/")


def test_tiep_tuc_after_another_question_shows_the_same_step_again(cards):
    run(ActionGuideStart(), tracker("create_account"))
    messages = run(ActionGuideResume(), tracker("guide_resume", last_action="action_answer_procedure"))
    assert messages[0]["step"].startswith("Bước 1/")


def test_trouble_asks_which_then_returns_to_the_step(cards):
    run(ActionGuideStart(), tracker("create_account"))
    asked = run(ActionGuideTrouble(), tracker("guide_trouble"))
    assert responses(asked) == ["utter_guide_which_trouble"]
    trouble_id = asked[0]["buttons"][0]["payload"].split('"trouble": "')[1].split('"')[0]
    branch = all_guides()["account"].trouble(trouble_id)
    assert responses(run(ActionGuideTrouble(), tracker("guide_trouble", trouble=trouble_id))) == [
        "utter_guide_trouble_step"
    ]
    for _ in range(len(branch.steps) - 1):
        run(ActionGuideNext(), tracker("guide_next"))
    back = run(ActionGuideNext(), tracker("guide_next"))
    assert responses(back) == ["utter_guide_back_to_step", "utter_guide_step"]
    assert back[0]["step"] == 1


def test_nothing_in_progress(cards):
    for action in (ActionGuideNext(), ActionGuideResume(), ActionGuideStop(), ActionGuideHave()):
        assert responses(run(action, tracker("guide_next"))) == ["utter_guide_nothing_in_progress"]


def test_submission_checklist_then_steps(cards):
    messages = run(ActionGuideStart(), tracker("submit_online", procedure="khai-sinh"))
    assert responses(messages)[0] in ("utter_guide_online_toan_trinh", "utter_guide_online_mot_phan")
    assert "Anh/chị kiểm tra giấy tờ" in messages[1]["text"]
    ticked = run(ActionGuideHave(), tracker("guide_have", document="0"))
    assert "✓ 1." in ticked[0]["text"]
    checked = run(ActionGuideChecked(), tracker("guide_checked"))
    assert "còn thiếu" in checked[0]["text"]
    assert checked[-1]["response"] == "utter_guide_step"


def test_a_card_removed_mid_guide_is_said_politely(cards):
    run(ActionGuideStart(), tracker("submit_online", procedure="khai-sinh"))
    with session_scope() as session:
        session.execute(delete(CardRow).where(CardRow.kind == "procedure", CardRow.id == "khai-sinh"))
    assert responses(run(ActionGuideHave(), tracker("guide_have", document="0"))) == ["utter_guide_card_gone"]
    assert responses(run(ActionGuideNext(), tracker("guide_next"))) == ["utter_guide_nothing_in_progress"]


def test_a_rating_counts_once_and_only_at_the_rating_step(cards):
    assert responses(run(ActionRate(), tracker("rate", score="5"))) == ["utter_rating_not_expected"]
    run(ActionGuideStart(), tracker("create_account"))
    for _ in all_guides()["account"].steps:
        finished = run(ActionGuideNext(), tracker("guide_next"))
    assert responses(finished)[-1] == "utter_guide_ask_rating"
    assert responses(run(ActionRate(), tracker("rate", score="9"))) == ["utter_guide_ask_rating_again"]
    assert responses(run(ActionRate(), tracker("rate", score="4"))) == ["utter_thanks_for_rating"]
    assert responses(run(ActionRate(), tracker("rate", score="1"))) == ["utter_rating_not_expected"]
    assert ratings_summary() == [("account", None, "telegram", 1, 4.0)]
