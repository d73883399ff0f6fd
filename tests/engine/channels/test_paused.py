"""A conversation a person has taken (Rasa's pause, ``handoff/``): the
assistant's silence is on purpose, so no connector sends the busy notice."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ConversationPaused
from rasa.shared.core.trackers import DialogueStateTracker

from channels.ids import conversation_id
from channels.webhook import BUSY

from .conftest import fake_platform, serve_channel
from .platforms import ALL, PlatformCase


class Trackers:
    """Rasa's tracker store as the connector reads it: one tracker, paused or not."""

    def __init__(self, paused: bool) -> None:
        self.paused = paused
        self.asked: list[str] = []

    async def retrieve(self, sender_id: str) -> DialogueStateTracker:
        self.asked.append(sender_id)
        tracker = DialogueStateTracker(sender_id, [])
        if self.paused:
            tracker.update(ConversationPaused())
        return tracker


@pytest.mark.parametrize("case", ALL, ids=str)
@pytest.mark.parametrize("paused", [True, False])
async def test_silence_is_kept_only_while_a_person_has_the_conversation(
    case: PlatformCase, paused: bool, tmp_path
) -> None:
    body = case.text(case.user, "alo có ai không", 1)
    async with fake_platform(default=case.answer) as api, serve_channel(case.make(api.url, tmp_path)) as server:
        trackers = Trackers(paused)
        server.agent.tracker_store = trackers  # type: ignore[attr-defined]
        assert (await server.post(body, case.headers(body))).status_code == 200
    assert len(server.agent.messages) == 1  # Rasa got the message (it keeps it in the history)
    assert trackers.asked == [conversation_id(server.channel.name(), case.user)]
    assert case.sent(api) == ([] if paused else [(case.user, BUSY)])
