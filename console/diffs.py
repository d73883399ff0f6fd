"""A readable difference between two versions of a card: the card as YAML
(the seed format editors know), line by line, only what changed with one
line of context."""

from __future__ import annotations

import difflib
import re
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


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)")
_FIELD = re.compile(r"^([a-z_]+):")


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Line]:
    """Changed lines with one line of context; each run starts with the card field it is in."""
    after = as_yaml(new)
    lines: list[Line] = []
    for raw in difflib.unified_diff(as_yaml(old), after, lineterm="", n=1):
        if raw.startswith(("---", "+++")):
            continue
        hunk = _HUNK.match(raw)
        if hunk:
            lines.append(Line("gap", _field_at(after, int(hunk.group(1)))))
        elif raw.startswith("+"):
            lines.append(Line("added", raw[1:]))
        elif raw.startswith("-"):
            lines.append(Line("removed", raw[1:]))
        else:
            lines.append(Line("same", raw[1:]))
    return lines


def _field_at(lines: list[str], start: int) -> str:
    """The top-level field a run of changes starts in (``start`` is 1-based)."""
    for line in reversed(lines[: max(start, 1)]):
        found = _FIELD.match(line)
        if found:
            return f"… {found.group(1)}"
    return "…"
