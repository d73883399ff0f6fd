"""What the console asks of Rasa's HTTP API for a handoff: pause and resume
the assistant in a conversation, say something in it, read its history.

Everything said goes through the conversation's own output channel
(``execute`` with ``output_channel`` = the conversation's channel), as the
dossier notifications do. The web chat has none Rasa could use later: its
page fetches what the console said from the relay (``webchat/server.py``).
URLs carry the Rasa token and are never logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from channels.ids import channel_of
from dossiers.notifier import conversation_url
from settings import get_settings

logger = logging.getLogger(__name__)
# Marks what the console has the assistant say (``BotUttered`` metadata key):
# "staff" for a staff reply, "back" for the hand-back notice.
MARK = "handoff"
# The web chat's replies come back in Rasa's REST answer; later ones, from the relay.
NO_OUTPUT_CHANNEL = frozenset({"web"})


class RasaUnavailable(Exception):
    """Rasa refused or did not answer (the reason carries no URL)."""


def _url(conversation: str, path: str) -> str:
    base = conversation_url(conversation)
    if base is None:
        raise RasaUnavailable("no Rasa URL names this conversation")
    return f"{base}/{path}"


def _params(**extra: str) -> dict[str, str]:
    return {"token": get_settings().rasa_token, **extra}


async def _post(client: httpx.AsyncClient, url: str, body: dict[str, Any], params: dict[str, str]) -> None:
    try:
        response = await client.post(url, json=body, params=params)
    except httpx.HTTPError as exc:
        raise RasaUnavailable(type(exc).__name__) from None
    if response.status_code >= 300:
        raise RasaUnavailable(f"HTTP {response.status_code}")


async def pause(client: httpx.AsyncClient, conversation: str) -> None:
    """The assistant stops answering the conversation (Rasa's pause event)."""
    await _post(client, _url(conversation, "tracker/events"), {"event": "pause"}, _params())


async def resume(client: httpx.AsyncClient, conversation: str) -> None:
    """The assistant answers the conversation again (Rasa's resume event)."""
    await _post(client, _url(conversation, "tracker/events"), {"event": "resume"}, _params())


async def run_action(client: httpx.AsyncClient, conversation: str, action: str) -> None:
    """Run ``action`` in the conversation; what it says goes out on the conversation's channel."""
    channel = channel_of(conversation)
    params = _params() if channel in NO_OUTPUT_CHANNEL or channel is None else _params(output_channel=channel)
    await _post(client, _url(conversation, "execute"), {"name": action}, params)


async def events(client: httpx.AsyncClient, conversation: str) -> list[dict[str, Any]]:
    """The conversation's events, oldest first (Rasa's tracker)."""
    try:
        response = await client.get(_url(conversation, "tracker"), params=_params(include_events="ALL"))
    except httpx.HTTPError as exc:
        raise RasaUnavailable(type(exc).__name__) from None
    if response.status_code != 200:
        raise RasaUnavailable(f"HTTP {response.status_code}")
    try:
        found = response.json().get("events")
    except ValueError:
        raise RasaUnavailable("unreadable tracker") from None
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def said_by_console(event: dict[str, Any]) -> bool:
    """A message the console had said in the conversation (a staff reply, the hand-back)."""
    return event.get("event") == "bot" and bool((event.get("metadata") or {}).get(MARK))


def staff_said(event: dict[str, Any]) -> bool:
    """A staff member's reply (not the hand-back notice)."""
    return said_by_console(event) and event["metadata"][MARK] == "staff"
