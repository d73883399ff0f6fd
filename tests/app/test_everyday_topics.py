"""The everyday matters the matcher weighs against the procedures
(knowledge/everyday.yml): well formed, never a procedure, apart from the evaluation sets."""

from dataclasses import replace

import pytest
import yaml

from knowledge.store import validate_files
from nlu.everyday import TOPICS_FILE, everyday_matters
from nlu.matcher import Matcher, card_text
from nlu.text import normalize
from tests.bench import shipped_catalog
from tests.evaluation import load

EVAL_SETS = ("procedures.yml", "procedures_dev.yml", "intents.yml")


@pytest.fixture(scope="module")
def topics() -> list[dict]:
    return yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]


def test_topics_are_well_formed(topics):
    cards, _ = validate_files()
    card_ids = {card.id for card in cards}
    assert len({t["id"] for t in topics}) == len(topics)
    phrases = [normalize(p) for t in topics for p in t["phrases"]]
    assert len(set(phrases)) == len(phrases)
    for topic in topics:
        assert set(topic) == {"id", "near", "phrases"}, topic["id"]
        assert set(topic["near"]) <= card_ids, topic["id"]
        assert topic["phrases"] and all("?" not in p for p in topic["phrases"]), topic["id"]
    assert len(everyday_matters()) == len(topics)


def test_no_phrase_names_a_card_or_a_catalog_procedure(topics):
    cards, _ = validate_files()
    official = {normalize(card.name) for card in cards} | {normalize(a) for card in cards for a in card.aliases}
    official |= {normalize(entry.name) for entry in shipped_catalog()}
    assert [p for t in topics for p in t["phrases"] if normalize(p) in official] == []


def test_no_card_name_or_alias_is_taken_for_an_everyday_matter():
    """Whatever the file says, a card's own words stay the card's."""
    cards, _ = validate_files()
    matcher = Matcher(
        (card_text(card.model_dump(mode="json")) for card in cards), shipped_catalog(), everyday=everyday_matters()
    )
    taken = [
        (card.id, phrase)
        for card in cards
        for phrase in (card.name, *card.aliases)
        if matcher.match(phrase).about_everyday_matter
    ]
    assert taken == []


def test_no_phrase_is_an_evaluation_question(topics):
    asked = {normalize(r["text"]) for name in EVAL_SETS for r in load(name)}
    asked |= {normalize(q["text"]) for name in ("catalog.yml", "near_domain.yml") for q in load(name)["questions"]}
    assert [p for t in topics for p in t["phrases"] if normalize(p) in asked] == []


def test_a_declined_question_an_editor_attaches_to_a_card_is_answered_by_it():
    """The everyday matters are not the last word: the console's "gắn vào thẻ"
    adds the question to the card's examples, and the card then wins."""
    cards, _ = validate_files()
    texts = [card_text(card.model_dump(mode="json")) for card in cards]
    question = "thẻ ATM bị nuốt mất rồi thì làm lại thế nào ạ"
    before = Matcher(texts, shipped_catalog(), everyday=everyday_matters()).match(question)
    assert before.about_everyday_matter
    attached = [replace(t, phrases=(*t.phrases, question)) if t.id == "can-cuoc" else t for t in texts]
    after = Matcher(attached, shipped_catalog(), everyday=everyday_matters()).match(question)
    assert not after.about_everyday_matter and after.procedures[0].id == "can-cuoc"
