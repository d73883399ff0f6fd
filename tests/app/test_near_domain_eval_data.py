"""The questions next to the domain: well formed, in two halves, apart from what the assistant learns from."""

import pytest

from knowledge.store import validate_files
from nlu.text import normalize
from tests.evaluation import load, training_examples

STYLES = {"citizen", "no_diacritics", "shorthand", "long_formal"}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return load("near_domain.yml")["questions"]


def test_every_question_borrows_a_known_card_or_none(questions):
    cards, _ = validate_files()
    ids = {card.id for card in cards}
    for q in questions:
        assert set(q) == {"text", "shares", "split", "tags"}, q
        assert q["shares"] is None or q["shares"] in ids, q
        assert q["split"] in {"dev", "test", "test-2"}, q
        assert len(q["tags"]) == 1 and set(q["tags"]) <= STYLES, q


def test_both_halves_are_large_enough(questions):
    splits = [q["split"] for q in questions]
    assert splits.count("dev") >= 15 and splits.count("test") >= 25 and splits.count("test-2") >= 40


def test_no_question_is_learned_or_in_another_set(questions):
    cards, _ = validate_files()
    learned = training_examples() | {normalize(alias) for card in cards for alias in card.aliases}
    others = {normalize(r["text"]) for name in ("procedures.yml", "procedures_dev.yml") for r in load(name)}
    others |= {normalize(q["text"]) for q in load("catalog.yml")["questions"]}
    texts = [normalize(q["text"]) for q in questions]
    assert len(set(texts)) == len(texts)
    assert [t for t in texts if t in learned | others] == []
