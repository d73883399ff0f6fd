"""Web chat sessions: the server picks every conversation id and signs it.

A client that could choose its own id would get a fresh conversation (and
fresh tries of every per-conversation limit) at will, and could address any
other citizen's conversation. The token is signed, not encrypted: it carries
a random 128-bit id, which is worth nothing without the signature.
"""

from __future__ import annotations

import re
import secrets

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from channels.ids import conversation_id

MAX_AGE_SECONDS = 30 * 24 * 3600
MAX_TOKEN_CHARS = 256
_SALT = "tthc.webchat.session"
_WEB_ID = re.compile(r"[0-9a-f]{32}")


class InvalidSession(Exception):
    """A token that is missing, forged, tampered with or expired; the message says which."""


class Sessions:
    """Issues and checks the signed tokens of web chat conversations."""

    def __init__(self, key: str, max_age: int = MAX_AGE_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt=_SALT)
        self._max_age = max_age

    def new(self) -> str:
        """A token for a new conversation."""
        return self._serializer.dumps(secrets.token_hex(16))

    def conversation(self, token: object) -> str:
        """The Rasa sender id a token stands for, or ``InvalidSession``."""
        if not isinstance(token, str) or not token:
            raise InvalidSession("session is missing: ask POST /api/session for one")
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise InvalidSession("session is not valid")
        try:
            web_id = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise InvalidSession("session has expired: ask POST /api/session for a new one") from None
        except BadData:
            raise InvalidSession("session is not valid") from None
        if not isinstance(web_id, str) or not _WEB_ID.fullmatch(web_id):
            raise InvalidSession("session is not valid")
        return conversation_id("web", web_id)
