"""The card questions: the held-out test set and the dev set that chooses changes, apart from each other
and from what the assistant learns from (training examples, card aliases)."""

import pytest

from knowledge.store import validate_files
from nlu.text import normalize
from tests.evaluation import load, training_examples

FILES = ("procedures.yml", "procedures_dev.yml")
ASPECTS = {None, "documents", "fees", "time", "where", "steps", "online", "eligibility", "result"}
TAGS = {"no_diacritics", "abbrev", "formal"}


def _aliases() -> dict[str, set[str]]:
    cards, _ = validate_files()
    return {card.id: {normalize(alias) for alias in card.aliases} for card in cards}


@pytest.mark.parametrize("name", FILES)
def test_rows_name_one_known_card_or_life_event(name):
    cards, _ = validate_files()
    ids = {card.id for card in cards}
    for row in load(name):
        assert set(row) == {"text", "procedure", "life_event", "aspect", "tags"}, row
        assert (row["procedure"] is None) != (row["life_event"] is None), row
        assert (row["procedure"] or row["life_event"]) in ids, row
        assert row["aspect"] in ASPECTS, row
        assert set(row["tags"]) <= TAGS, row


def test_dev_covers_every_procedure_card():
    cards, _ = validate_files()
    procedures = {card.id for card in cards if card.kind == "procedure"}
    assert {row["procedure"] for row in load("procedures_dev.yml")} >= procedures


def test_no_question_is_in_both_sets():
    test, dev = ({normalize(row["text"]) for row in load(name)} for name in FILES)
    assert sorted(test & dev) == []


@pytest.mark.parametrize("name", FILES)
def test_no_question_is_a_training_example_or_an_alias_of_its_answer(name):
    examples, aliases = training_examples(), _aliases()
    assert len(examples) > 500, "no training examples found: the check would be empty"
    learned = [
        row["text"]
        for row in load(name)
        if normalize(row["text"]) in examples | aliases[row["procedure"] or row["life_event"]]
    ]
    assert learned == []


def test_the_catalog_test_half_holds_no_training_example():
    questions = load("catalog.yml")["questions"]
    examples = training_examples()
    assert [q["text"] for q in questions if q["split"] == "test" and normalize(q["text"]) in examples] == []
