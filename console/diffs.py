"""A readable difference between two versions of a card: the card as YAML
(the seed format editors know), line by line, only what changed with one
line of context."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Line:
    kind: str  # "same" | "added" | "removed" | "gap"
    text: str


def as_yaml(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return []
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100).splitlines()


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Line]:
    lines: list[Line] = []
    for raw in difflib.unified_diff(as_yaml(old), as_yaml(new), lineterm="", n=1):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            lines.append(Line("gap", "…"))
        elif raw.startswith("+"):
            lines.append(Line("added", raw[1:]))
        elif raw.startswith("-"):
            lines.append(Line("removed", raw[1:]))
        else:
            lines.append(Line("same", raw[1:]))
    return lines
