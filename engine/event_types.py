"""Event classes found by name in a table instead of a walk of every class.

Rasa 3.6.21's ``Event.resolve_by_type`` walks all subclasses of ``Event``
(recursively, calling ``inspect.isabstract`` on each) for every stored event
it turns back into an object, and a Rasa server rebuilds the conversation's
tracker from its stored events on every turn. For a tracker of 125 events
that walk was 2.5 ms of the 3.7 ms ``DialogueStateTracker.from_dict`` took
(issue #13: the rebuild was the next cost after the tracker store's round
trips), and it grows with the conversation. The table answers exactly as the
walk does: the first subclass in the walk's order with that ``type_name``;
a name it does not know sends it to Rasa's own walk (a class imported since,
"topic", a default, or the error). Installed by ``engine.serve``. Checked
against Rasa 3.6.21.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_rasa_resolve_by_type = Event.resolve_by_type
_classes: dict[str, type[Event]] = {}


def _build_table() -> None:
    for cls in all_subclasses(Event):
        _classes.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> Any:
    """``Event.resolve_by_type`` by a table: the same class, or Rasa's answer."""
    found = _classes.get(type_name)
    if found is not None:
        return found
    _build_table()
    found = _classes.get(type_name)
    return found if found is not None else _rasa_resolve_by_type(type_name, default)


def install() -> None:
    """Resolve event names by the table in this process."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign, assignment]
