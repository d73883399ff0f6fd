"""What the connectors may write to the logs: no user id, token or message text.

Platform user ids identify citizens, Bot API URLs carry the bot token and
message texts carry whatever citizens type (phone and ID numbers included).
Connector logs name a citizen by ``pseudonym`` only, and the libraries that
would print URLs or request parameters are kept quiet.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

# Per process: a pseudonym follows one citizen through one run's logs, and
# nobody can recover a short numeric id by hashing every number.
_PSEUDONYM_KEY = secrets.token_bytes(16)


def pseudonym(user_id: str) -> str:
    """A short, keyed stand-in for a platform user id in logs."""
    return hmac.new(_PSEUDONYM_KEY, user_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:10]


def keep_secrets_out_of_logs() -> None:
    """Raise the level of the library loggers that would print secrets or messages.

    httpx logs every request URL at INFO, and Bot API URLs carry the bot token
    (``/bot<TOKEN>/sendMessage``); python-telegram-bot logs request parameters,
    message text included, at DEBUG (``rasa run --debug``). Every connector
    module calls this when it is imported.
    """
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
