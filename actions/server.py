"""The action server: rasa-sdk's app, on loopback, answering only Rasa.

Whoever reaches the action server can run any action as any conversation
(look up dossiers, subscribe a stranger), so every call but the health check
must carry the shared secret that Rasa sends from its endpoints file
(``X-Action-Token``), compared in constant time.
"""

from __future__ import annotations

import hmac
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_HEADER = "X-Action-Token"
PUBLIC_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of bytes (a non-ASCII header must not raise)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def create_server(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's application for ``package``, refusing calls without ``token``."""
    executor = ActionExecutor()
    executor.register_package(package)
    app = create_app(executor, cors_origins=None)

    @app.on_request
    async def require_rasa(request: Request) -> HTTPResponse | None:
        if request.path in PUBLIC_PATHS or same_token(request.headers.get(TOKEN_HEADER), token):
            return None
        logger.warning("Action server refused a call to %s without the shared secret", request.path)
        return response.json({"error": "missing or wrong X-Action-Token"}, status=401)

    return app
