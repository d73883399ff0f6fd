"""Writes conversations into a Rasa SQL tracker store with Rasa's own code
(run with the engine's Python): the figures tests read exactly what Rasa
stores. Input on stdin: JSON {"db": path, "conversations": {sender: [event, ...]}},
each event {"type": "user"|"bot"|"slot"|"action", "at": unix time, ...}."""

from __future__ import annotations

import asyncio
import json
import sys

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


def event(spec: dict) -> Event:
    at = spec["at"]
    if spec["type"] == "user":
        parse = {
            "intent": {"name": spec["intent"], "confidence": 1.0},
            "entities": [{"entity": k, "value": v} for k, v in spec.get("entities", {}).items()],
            "text": spec["text"],
        }
        return UserUttered(spec["text"], parse["intent"], parse["entities"], parse, timestamp=at,
                           input_channel=spec.get("channel"), metadata=spec.get("metadata"))  # fmt: skip
    if spec["type"] == "bot":
        return BotUttered(spec.get("text", ""), metadata={"utter_action": spec["utter_action"]}, timestamp=at)
    if spec["type"] == "slot":
        return SlotSet(spec["name"], spec["value"], timestamp=at)
    return ActionExecuted(spec["name"], timestamp=at)


async def main() -> None:
    spec = json.load(sys.stdin)
    trackers = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=spec["db"])
    for sender, events in spec["conversations"].items():
        tracker = DialogueStateTracker(sender, [])
        for item in events:
            tracker.update(event(item))
        await trackers.save(tracker)


if __name__ == "__main__":
    asyncio.run(main())
