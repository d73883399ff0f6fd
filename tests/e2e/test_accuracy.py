"""Held-out accuracy must not fall below the targets (figures in docs/evaluation.md)."""

import pytest

from tests.evaluation import intent_scores, procedure_scores


@pytest.fixture(scope="module")
def procedures():
    return procedure_scores("models/current.tar.gz")


def test_intent_accuracy():
    scores = intent_scores("models/current.tar.gz")
    assert scores["overall"][0] >= 0.90
    assert scores["no_diacritics"][0] >= 0.85


def test_procedure_accuracy(procedures):
    assert procedures["top1"]["overall"][0] >= 0.90
    assert procedures["top1"]["no_diacritics"][0] >= 0.90
    assert procedures["top1"]["abbrev"][0] >= 0.80
    assert procedures["top3"]["overall"][0] >= 0.97


def test_life_event_accuracy(procedures):
    assert procedures["life_event"]["overall"][0] >= 0.85
