"""Step-by-step walkthroughs (account, online submission): their shape and loading.

A guide is a main path of short steps plus trouble-shooting branches that
return to the step where the citizen got stuck. Content lives in
``knowledge/guides/*.yaml``; like cards, each says when it was reviewed.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

from settings import ROOT

GUIDES_DIR = ROOT / "knowledge" / "guides"
# Zalo caps a message at 2,000 characters; a step is a fraction of that.
STEP_MAX_CHARS = 700
ButtonTitle = Annotated[str, Field(min_length=1, max_length=40)]
StepText = Annotated[str, Field(min_length=1, max_length=STEP_MAX_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    text: StepText
    troubles: list[str] = []  # ids of the branches offered at this step ("Tôi gặp khó khăn")


class Trouble(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    title: ButtonTitle
    steps: list[StepText] = Field(min_length=1)


class Guide(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    intent: Annotated[str, Field(pattern=r"^[a-z_]+$")]  # the intent that starts it (bot/data/nlu/guides.yml)
    # A guide for one procedure starts with the checklist of that card's documents.
    needs_procedure: bool = False
    title: Annotated[str, Field(min_length=1, max_length=120)]
    intro: StepText
    steps: list[Step] = Field(min_length=1)
    troubles: list[Trouble] = []
    outro: StepText
    follow_up: StepText | None = None  # said after the outro, before the rating
    reviewed_at: dt.date
    source: Annotated[str, Field(min_length=1)]

    def trouble(self, trouble_id: str) -> Trouble | None:
        return next((t for t in self.troubles if t.id == trouble_id), None)


def load_guide(path: Path) -> Guide:
    guide = Guide.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    known = {t.id for t in guide.troubles}
    unknown = {t for s in guide.steps for t in s.troubles} - known
    if unknown:
        raise ValueError(f"{path.name}: steps name unknown troubles {sorted(unknown)}")
    return guide


@lru_cache(maxsize=1)
def all_guides() -> dict[str, Guide]:
    return {g.id: g for g in (load_guide(p) for p in sorted(GUIDES_DIR.glob("*.yaml")))}


def guide_for_intent(intent: str | None) -> Guide | None:
    return next((g for g in all_guides().values() if g.intent == intent), None)
