"""The base of the platform output channels (Zalo OA, Zalo Bot, Telegram)."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import OutputChannel

from channels.render import Part, Rendered


class RenderedOutput(OutputChannel):
    """Every response goes through ``send_response``: rendered once for the
    platform (``channels.render``), then sent part by part, in order. The turn
    stops at the first part that is not sent, so the citizen never gets the
    end of an answer without its beginning. ``outcomes`` records, per part,
    "sent", "outside_window", "failed" or "skipped", for tests and the logs.
    """

    def __init__(self) -> None:
        self._stopped = False
        self.outcomes: list[str] = []

    def render(self, recipient_id: str, message: dict[str, Any]) -> Rendered:
        raise NotImplementedError

    async def send_part(self, recipient_id: str, part: Part) -> str:
        raise NotImplementedError

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        for part in self.render(recipient_id, message).parts:
            if self._stopped:
                self.outcomes.append("skipped")
                continue
            outcome = await self.send_part(recipient_id, part)
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
