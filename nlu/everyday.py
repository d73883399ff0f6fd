"""The everyday matters next to the procedures (``knowledge/everyday.yml``): a
bank card, private insurance, a driving school. The matcher indexes them with
the cards and the catalog so that a question about one of them is not taken
for the procedure whose words it borrows."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from nlu.matcher import EverydayText

TOPICS_FILE = Path(__file__).parent.parent / "knowledge" / "everyday.yml"


@cache
def everyday_matters() -> tuple[EverydayText, ...]:
    """The shipped everyday matters, read once per process."""
    topics = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["topics"]
    return tuple(EverydayText(topic["id"], tuple(topic["phrases"])) for topic in topics)
