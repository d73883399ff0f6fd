"""A request body as a JSON object, within a nesting limit: the one parser of
every endpoint's JSON (web relay, push API, platform webhooks).

Plain Python, both environments import it. ``json.loads`` raises
RecursionError on very deep input, and a merely deep object would still reach
code that recurses (repr, library parsers), so depth is checked iteratively.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class NotAJsonObject(ValueError):
    """The body is not a JSON object we accept; the message says why."""


def parse_json_object(body: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotAJsonObject("body is not JSON") from None
    if not isinstance(data, dict):
        raise NotAJsonObject("body must be a JSON object")
    if _deeper_than(data, max_depth):
        raise NotAJsonObject("body nested too deeply")
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
