"""Where a citizen is in a walkthrough, and how each move changes it.

Plain Python, no Rasa: the actions in ``actions/guides.py`` load a position,
apply one move and say what the move returned. A guide for one procedure
(``needs_procedure`` in its file) starts with the checklist of the card's
documents; every guide then walks its main steps, where a trouble branch
returns to the step the citizen got stuck on, and ends with a rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from knowledge.guides import Guide, Trouble


class Phase(str, Enum):
    CHECKLIST = "checklist"
    STEPS = "steps"
    RATING = "rating"


class Move(Enum):
    """What the citizen should see after a move."""

    CHECKLIST = "checklist"  # the checklist, with what they have ticked
    STEP = "step"  # the current step (of the main path or of a trouble branch)
    BACK_TO_STEP = "back"  # a trouble branch ended: back on the main step
    FINISHED = "finished"  # the last step is done: the outro, then the rating
    RATING = "rating"  # still waiting for the rating
    NOT_NOW = "not_now"  # the move does not apply where the citizen is


@dataclass
class Position:
    guide: Guide
    phase: Phase
    step: int = 0
    trouble: str | None = None
    trouble_step: int = 0
    procedure_id: str | None = None
    have: list[int] = field(default_factory=list)  # indexes of the card's documents the citizen has

    @classmethod
    def start(cls, guide: Guide, procedure_id: str | None = None) -> Position:
        return cls(guide, Phase.CHECKLIST if guide.needs_procedure else Phase.STEPS, procedure_id=procedure_id)

    @property
    def current_trouble(self) -> Trouble | None:
        return self.guide.trouble(self.trouble) if self.trouble else None

    def showing(self) -> Move:
        """What the citizen sees where they are now."""
        return {Phase.CHECKLIST: Move.CHECKLIST, Phase.STEPS: Move.STEP, Phase.RATING: Move.RATING}[self.phase]


def advance(position: Position) -> Move:
    """ "Xong, bước tiếp theo": the next step of the branch or of the main path."""
    if position.phase is not Phase.STEPS:
        return Move.NOT_NOW
    trouble = position.current_trouble
    if trouble is not None and position.trouble_step + 1 < len(trouble.steps):
        position.trouble_step += 1
        return Move.STEP
    if position.trouble is not None:
        position.trouble, position.trouble_step = None, 0
        return Move.BACK_TO_STEP
    if position.step + 1 < len(position.guide.steps):
        position.step += 1
        return Move.STEP
    position.phase = Phase.RATING
    return Move.FINISHED


def tick(position: Position, document: int, documents: int) -> Move:
    """The citizen has one more of the card's ``documents``."""
    if position.phase is not Phase.CHECKLIST:
        return Move.NOT_NOW
    if 0 <= document < documents:
        position.have = sorted({*position.have, document})
    return Move.CHECKLIST


def finish_checklist(position: Position) -> Move:
    if position.phase is not Phase.CHECKLIST:
        return Move.NOT_NOW
    position.phase, position.step = Phase.STEPS, 0
    return Move.STEP


def troubles_offered(position: Position) -> list[Trouble]:
    """The branches offered at the current step (all of the guide's when the step names none)."""
    named = position.guide.steps[position.step].troubles
    return [t for t in position.guide.troubles if not named or t.id in named]


def enter_trouble(position: Position, trouble_id: str | None) -> Move:
    """Into a trouble branch by id; ``NOT_NOW`` when the id is unknown (ask which one)."""
    if position.phase is not Phase.STEPS or not trouble_id or position.guide.trouble(trouble_id) is None:
        return Move.NOT_NOW
    position.trouble, position.trouble_step = trouble_id, 0
    return Move.STEP


def resume(position: Position) -> Move:
    """Back where the citizen left: the main step (a trouble branch is left), or the checklist."""
    if position.phase is Phase.RATING:
        return Move.NOT_NOW
    position.trouble, position.trouble_step = None, 0
    return position.showing()
