"""The push API: the one-stop system tells us about every status change.

Each source system signs its requests: ``X-Signature: sha256=<hex>`` is the
HMAC-SHA256, with the source's secret, of ``<X-Timestamp>.<raw body>``;
``X-Source`` names the source and ``X-Timestamp`` is Unix seconds, accepted
within the replay window; a source without a secret is never accepted.
Events are idempotent on (source, event_id): a retry gets 200 with
``duplicate: true`` and changes nothing. An accepted event (202) is stored
with the notifications it causes in one transaction. A source writes only the
dossiers it reported first (409 otherwise). See ``docs/push-api.yaml``.

The body is bounded while it is read and parsed only after authentication.
The logs name the source and the outcome, never a dossier's content.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dossiers.events import StatusEvent
from dossiers.store import apply_event
from settings import get_settings
from webapp import BadRequest, parse_json_object, read_body

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def _error(status: int, reason: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": reason, **extra}, status_code=status)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Signature for a body: what a source system computes."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _authenticate(request: Request, body: bytes) -> str | JSONResponse:
    """The authenticated source's name, or the 401 to answer."""
    settings = get_settings()
    source = request.headers.get("x-source", "")
    secret = settings.push_secrets.get(source)
    timestamp = request.headers.get("x-timestamp", "")
    given = request.headers.get("x-signature", "")
    if not secret or not given:
        return _error(401, "unknown source or missing signature")
    # Bytes: compare_digest refuses a str with non-ASCII characters (TypeError).
    if not hmac.compare_digest(given.encode(), signature(secret, timestamp, body).encode()):
        return _error(401, "bad signature")
    if not (timestamp.isascii() and timestamp.isdigit()):
        return _error(401, "X-Timestamp must be Unix seconds")
    if abs(time.time() - int(timestamp)) > settings.push_replay_seconds:
        return _error(401, "stale timestamp: outside the replay window")
    return source


async def receive_event(request: Request) -> JSONResponse:
    try:
        body = await read_body(request, MAX_BODY_BYTES)
    except BadRequest as refused:
        return refused.response()
    source = _authenticate(request, body)
    if isinstance(source, JSONResponse):
        return source
    try:
        raw = parse_json_object(body)
    except BadRequest as refused:
        return refused.response()
    try:
        event = StatusEvent.model_validate(raw)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return _error(422, "invalid event", problems=problems)
    result = apply_event(event, source)
    if result.foreign:
        logger.warning("Dossier event from %s refused: the dossier belongs to another source", source)
        return _error(409, "this dossier is reported by another source system; nothing was stored")
    logger.info("Dossier event from %s: duplicate=%s notifications=%d", source, result.duplicate, result.notifications)
    status = 200 if result.duplicate else 202
    return JSONResponse({"duplicate": result.duplicate, "notifications": result.notifications}, status_code=status)


routes = [Route("/api/v1/dossier-events", receive_event, methods=["POST"])]


def create_app() -> Starlette:
    """The push API alone (the console serves it with the staff pages)."""
    return Starlette(routes=routes)
