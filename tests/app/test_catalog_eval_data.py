"""The held-out catalog questions of issue #11: well formed, balanced, apart from the cards."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.schema import ProcedureCard
from knowledge.store import validate_files

EVAL_FILE = Path(__file__).resolve().parents[1] / "data" / "eval" / "catalog.yml"
CODE = re.compile(r"^\d\.\d{6}$")
STYLES = ("citizen", "no_diacritics", "shorthand", "long_formal")
SPLITS = {"dev", "test"}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    data = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    return data["questions"]


def _style(question: dict) -> str:
    styles = [t for t in question["tags"] if t in STYLES]
    assert len(styles) == 1, question["text"]
    return styles[0]


def test_every_question_has_the_expected_fields(questions):
    for q in questions:
        assert set(q) == {"text", "code", "split", "tags"}, q
        assert isinstance(q["text"], str) and q["text"].strip() == q["text"] and q["text"], q
        assert q["split"] in SPLITS, q
        _style(q)


def test_enough_questions_of_each_kind(questions):
    with_code = [q for q in questions if q["code"] is not None]
    without = [q for q in questions if q["code"] is None]
    assert len(with_code) >= 140
    assert len(without) >= 45


def test_codes_look_like_national_catalog_codes(questions):
    for q in questions:
        if q["code"] is not None:
            assert isinstance(q["code"], str) and CODE.match(q["code"]), q


def test_out_of_scope_questions_are_tagged_and_only_they(questions):
    for q in questions:
        assert ("out_of_scope" in q["tags"]) == (q["code"] is None), q


def test_no_code_is_cited_by_a_card(questions):
    cards, _ = validate_files()
    cited = {code for c in cards if isinstance(c, ProcedureCard) for code in c.codes}
    assert cited, "the cards cite no national code: the check would be empty"
    assert sorted({q["code"] for q in questions} & cited) == []


def test_both_splits_hold_both_kinds(questions):
    for kind in (True, False):
        splits = {q["split"] for q in questions if (q["code"] is not None) is kind}
        assert splits == SPLITS


def test_splits_are_balanced_per_kind_and_style(questions):
    groups = Counter((q["code"] is None, _style(q), q["split"]) for q in questions)
    for kind in (True, False):
        for style in STYLES:
            dev, test = groups[(kind, style, "dev")], groups[(kind, style, "test")]
            assert dev and test, (kind, style)
            assert abs(dev - test) <= 1, (kind, style, dev, test)


def test_every_style_is_present_for_both_kinds(questions):
    for kind in (True, False):
        styles = {_style(q) for q in questions if (q["code"] is None) is kind}
        assert styles == set(STYLES)


def test_long_formal_questions_are_150_to_400_characters(questions):
    for q in questions:
        if _style(q) == "long_formal":
            assert 150 <= len(q["text"]) <= 400, (len(q["text"]), q["text"])


def test_no_diacritics_questions_have_no_diacritics(questions):
    for q in questions:
        if _style(q) == "no_diacritics":
            assert q["text"].isascii(), q["text"]


def test_no_duplicate_texts(questions):
    counts = Counter(q["text"].casefold() for q in questions)
    assert [t for t, n in counts.items() if n > 1] == []
