"""Conversation ids: one id space per channel.

Every conversation and every app row is keyed on ``<channel>:<platform id>``,
so an id that is valid on one platform can never address another platform's
conversation (a web chat client sending a Telegram user's number reaches only
an empty ``web:`` conversation). Plain Python: both environments import it.

Platform ids must stay within ``[A-Za-z0-9_.~:-]``: Rasa 3.6 takes the
conversation id from its URLs undecoded, so an id that needs escaping could
not be addressed by ``trigger_intent``.
"""

from __future__ import annotations

SEPARATOR = ":"


def conversation_id(channel: str, platform_id: str) -> str:
    """The Rasa sender id of ``platform_id`` on ``channel``."""
    return f"{channel}{SEPARATOR}{platform_id}"


def platform_id(channel: str, conversation: str) -> str:
    """The platform's own id inside a conversation id of ``channel``.

    Raises ``ValueError`` for an id of another channel: an output channel must
    never send to a conversation that is not its own.
    """
    prefix = f"{channel}{SEPARATOR}"
    if not conversation.startswith(prefix) or len(conversation) == len(prefix):
        raise ValueError(f"not a {channel} conversation id")
    return conversation[len(prefix) :]


def channel_of(conversation: str) -> str | None:
    """The channel a conversation id belongs to, if it carries one."""
    channel, separator, rest = conversation.partition(SEPARATOR)
    return channel if separator and rest else None
