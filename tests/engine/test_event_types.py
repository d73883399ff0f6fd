"""``engine.event_types``: stored events resolve to the same classes as
Rasa's walk of ``Event``'s subclasses, and trackers rebuild the same."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from engine import event_types

rasa_resolve = Event.resolve_by_type


def test_every_event_name_resolves_to_rasas_class():
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert event_types.resolve_by_type(name) is rasa_resolve(name)


def test_unknown_names_get_rasas_answers():
    assert event_types.resolve_by_type("topic") is None
    assert event_types.resolve_by_type("no-such-event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        event_types.resolve_by_type("no-such-event")


def test_a_class_imported_after_the_table_was_built_is_found():
    event_types.resolve_by_type("slot")

    class LateEvent(SlotSet):
        type_name = "late_event_for_test"

    assert event_types.resolve_by_type("late_event_for_test") is LateEvent


def test_a_tracker_rebuilds_the_same(monkeypatch):
    slots = [TextSlot("procedure", mappings=[])]
    events = [
        ActionExecuted("action_listen"),
        UserUttered("lệ phí hộ chiếu", {"name": "ask_procedure", "confidence": 0.9}),
        SlotSet("procedure", "ho-chieu"),
        ActionExecuted("action_answer_procedure"),
        BotUttered("Dạ, lệ phí ...", {}),
    ]
    stored = [event.as_dict() for event in DialogueStateTracker.from_events("c", events, slots).events]
    by_rasa = DialogueStateTracker.from_dict("c", stored, slots)
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(event_types.resolve_by_type))
    by_table = DialogueStateTracker.from_dict("c", stored, slots)
    assert list(by_table.events) == list(by_rasa.events)
    assert by_table.get_slot("procedure") == "ho-chieu"
