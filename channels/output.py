"""The base of the platform output channels (Zalo OA, Zalo Bot, Telegram)."""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import OutputChannel

from channels.ids import platform_id
from channels.render import Part, Rendered

logger = logging.getLogger(__name__)


class RenderedOutput(OutputChannel):
    """Every response goes through ``send_response``: rendered once for the
    platform (``channels.render``), then sent part by part, in order. The turn
    stops at the first part that is not sent, so the citizen never gets the
    end of an answer without its beginning. ``outcomes`` records, per part,
    "sent", "outside_window", "failed" or "skipped" ("refused" for a
    response to another channel's conversation), for tests and the logs.

    Rasa addresses a conversation (``<channel>:<platform id>``, see
    ``channels.ids``): ``render`` and per-conversation memories get that id,
    ``send_part`` the platform's own id. A conversation of another channel is
    refused, so no id valid on one platform reaches another platform's user.
    """

    def __init__(self) -> None:
        self._stopped = False
        self.outcomes: list[str] = []

    @property
    def sent(self) -> int:
        """How many platform messages reached the citizen so far."""
        return self.outcomes.count("sent")

    def render(self, conversation: str, message: dict[str, Any]) -> Rendered:
        raise NotImplementedError

    async def send_part(self, user: str, part: Part) -> str:
        raise NotImplementedError

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        try:
            user = platform_id(self.name(), recipient_id)
        except ValueError:
            logger.error("%s: refused a response addressed to a conversation of another channel", self.name())
            self.outcomes.append("refused")
            return
        for part in self.render(recipient_id, message).parts:
            if self._stopped:
                self.outcomes.append("skipped")
                continue
            outcome = await self.send_part(user, part)
            self.outcomes.append(outcome)
            self._stopped = outcome != "sent"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})
