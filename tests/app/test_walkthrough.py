"""The walkthrough state machine, without Rasa or a database."""

from __future__ import annotations

import pytest

from actions.walkthrough import (
    Move,
    Phase,
    Position,
    advance,
    enter_trouble,
    finish_checklist,
    resume,
    tick,
    troubles_offered,
)
from knowledge.guides import all_guides, guide_for_intent


@pytest.fixture
def account():
    return all_guides()["account"]


def test_guides_are_found_by_the_intent_in_their_file():
    assert guide_for_intent("create_account").id == "account"
    assert guide_for_intent("submit_online").needs_procedure
    assert guide_for_intent("greet") is None


def test_the_main_path_then_the_rating(account):
    position = Position.start(account)
    assert position.phase is Phase.STEPS
    moves = [advance(position) for _ in range(len(account.steps))]
    assert moves == [Move.STEP] * (len(account.steps) - 1) + [Move.FINISHED]
    assert position.phase is Phase.RATING
    assert advance(position) is Move.NOT_NOW
    assert resume(position) is Move.NOT_NOW


def test_a_trouble_branch_returns_to_the_step_it_left(account):
    position = Position.start(account)
    advance(position)
    trouble = troubles_offered(position)[0]
    assert enter_trouble(position, trouble.id) is Move.STEP
    moves = [advance(position) for _ in range(len(trouble.steps))]
    assert moves[-1] is Move.BACK_TO_STEP
    assert (position.step, position.trouble) == (1, None)


def test_an_unknown_trouble_changes_nothing(account):
    position = Position.start(account)
    assert enter_trouble(position, "no-such-trouble") is Move.NOT_NOW
    assert position.trouble is None


def test_resume_leaves_a_branch_for_the_main_step(account):
    position = Position.start(account)
    enter_trouble(position, account.troubles[0].id)
    assert resume(position) is Move.STEP
    assert position.trouble is None


def test_the_checklist_comes_first_for_a_procedure():
    position = Position.start(all_guides()["submit"], "khai-sinh")
    assert position.phase is Phase.CHECKLIST
    assert advance(position) is Move.NOT_NOW
    assert tick(position, 1, 3) is Move.CHECKLIST
    assert tick(position, 7, 3) is Move.CHECKLIST  # out of range: ignored
    assert position.have == [1]
    assert finish_checklist(position) is Move.STEP
    assert (position.phase, position.step) == (Phase.STEPS, 0)
