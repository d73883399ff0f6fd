"""The two-stage fallback asks in Vietnamese, with the likeliest meanings as buttons."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import INTENT_LABELS, ActionDefaultAskAffirmation


def _tracker(ranking: list[dict]) -> Tracker:
    latest = {"text": "abc xyz", "intent": ranking[0], "intent_ranking": ranking, "entities": []}
    return Tracker("citizen", {}, latest, [], False, None, {}, "")


def test_asks_in_vietnamese_with_known_intents_and_a_way_out():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "check_status", "confidence": 0.3},
        {"name": "out_of_scope", "confidence": 0.2},
        {"name": "handoff", "confidence": 0.1},
    ]
    dispatcher = CollectingDispatcher()
    ActionDefaultAskAffirmation().run(dispatcher, _tracker(ranking), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("Dạ, có phải anh/chị")
    titles = [b["title"] for b in message["buttons"]]
    assert titles == [INTENT_LABELS["check_status"], INTENT_LABELS["handoff"], "Không phải"]
    assert [b["payload"] for b in message["buttons"]] == ["/check_status", "/handoff", "/deny"]
