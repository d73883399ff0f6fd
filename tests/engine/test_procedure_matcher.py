"""nlu.procedure_matcher: what the classifier heard decides with the match.

When the intent classifier is sure a message is out of scope, a middling
match (an off-topic question sharing a word or two with some procedure) is not
offered; a strong match still overrules the classifier. Run on the cards and
catalog ``make setup`` seeded.
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.matcher import ABSTAIN_SCORE, CARD_SCORE, OVERRIDE_SCORE
from nlu.procedure_matcher import CANDIDATES, CATALOG_CANDIDATES, EVERYDAY_MATTER, ProcedureMatcher

OFF_TOPIC = "lương giáo viên mầm non năm nay được tăng bao nhiêu"
NAMED = "đổi, cấp lại giấy xác nhận khuyết tật"


@pytest.fixture(scope="module")
def component() -> ProcedureMatcher:
    return ProcedureMatcher(ProcedureMatcher.get_default_config())


def _understood(component: ProcedureMatcher, text: str, intent: str, confidence: float) -> Message:
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence}})
    component.process([message])
    return message


def _named(message: Message) -> list[str]:
    return [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == "procedure"]


def test_the_off_topic_question_is_one_the_matcher_alone_would_answer(component):
    match = component._cards.matcher().match(OFF_TOPIC)
    assert match.confidence >= ABSTAIN_SCORE
    assert match.catalog and match.catalog[0].score < OVERRIDE_SCORE


def test_a_sure_out_of_scope_verdict_offers_nothing(component):
    message = _understood(component, OFF_TOPIC, "out_of_scope", 0.99)
    assert message.get(CATALOG_CANDIDATES) == []
    assert message.get(CANDIDATES) == []
    assert not [e for e in message.get(ENTITIES, []) if e["entity"] == "procedure"]
    assert message.get(INTENT)["name"] == "out_of_scope"


@pytest.mark.parametrize(("intent", "confidence"), [("ask_procedure", 0.99), ("out_of_scope", 0.6)])
def test_otherwise_the_same_match_is_offered(component, intent, confidence):
    message = _understood(component, OFF_TOPIC, intent, confidence)
    assert message.get(CATALOG_CANDIDATES)


def test_a_strong_match_overrules_the_classifier(component):
    message = _understood(component, NAMED, "out_of_scope", 0.99)
    assert message.get(CATALOG_CANDIDATES)[0]["score"] >= OVERRIDE_SCORE
    assert message.get(INTENT)["name"] == "ask_procedure"


def test_a_private_matter_offers_nothing_and_says_which(component):
    """A bank card changing to a chip card is not the chip citizen-ID card."""
    message = _understood(component, "đổi thẻ ATM từ sang thẻ chip ở ngân hàng nào nhanh", "ask_procedure", 0.9)
    assert message.get(EVERYDAY_MATTER)["id"] == "bank-cards"
    assert message.get(CANDIDATES) == [] and message.get(CATALOG_CANDIDATES) == []
    assert not [e for e in message.get(ENTITIES, []) if e["entity"] == "procedure"]


def test_the_procedure_next_to_it_is_still_named(component):
    message = _understood(component, "đổi sang thẻ căn cước gắn chip ở đâu", "ask_procedure", 0.9)
    assert message.get(EVERYDAY_MATTER) is None
    assert _named(message) == ["can-cuoc"]


# Says the card's official name in the sentence that asks; the rest dilutes every score.
SAYS_ITS_NAME = (
    "Người đã có nơi thường trú nay đến chỗ ở hợp pháp khác để lao động thời vụ thì bắt buộc đăng ký tạm trú hay không?"
)


def test_a_card_whose_name_the_question_says_is_named_under_the_card_score(component):
    message = _understood(component, SAYS_ITS_NAME, "ask_procedure", 0.99)
    assert message.get(CANDIDATES)[0]["score"] < CARD_SCORE
    assert _named(message) == ["tam-tru"]


def test_the_same_question_not_heard_as_a_procedure_question_only_offers_the_card(component):
    message = _understood(component, SAYS_ITS_NAME, "life_event", 0.99)
    assert message.get(CANDIDATES)[0]["id"] == "tam-tru"
    assert _named(message) == []
