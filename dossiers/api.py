"""The push API: the one-stop system tells us about every status change.

Each source system signs its requests: ``X-Signature: sha256=<hex>`` is the
HMAC-SHA256, with the source's secret, of ``<X-Timestamp>.<raw body>``;
``X-Source`` names the source and ``X-Timestamp`` is Unix seconds, accepted
within the replay window. Events are idempotent on (source, event_id): a
retry gets 200 with ``duplicate: true`` and changes nothing. An accepted event
(202) is stored with the notifications it causes in one transaction.
See ``docs/push-api.yaml``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
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

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def _error(status: int, reason: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": reason, **extra}, status_code=status)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Signature for a body: what a source system computes."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _authenticate(request: Request, body: bytes) -> tuple[str | None, JSONResponse | None]:
    settings = get_settings()
    source = request.headers.get("x-source", "")
    secret = settings.push_secrets.get(source)
    timestamp = request.headers.get("x-timestamp", "")
    given = request.headers.get("x-signature", "")
    if secret is None or not given:
        return None, _error(401, "unknown source or missing signature")
    if not hmac.compare_digest(given, signature(secret, timestamp, body)):
        return None, _error(401, "bad signature")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return None, _error(401, "X-Timestamp must be Unix seconds")
    if age > settings.push_replay_seconds:
        return None, _error(401, "stale timestamp: outside the replay window")
    return source, None


async def receive_event(request: Request) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "body too large")
    source, failure = _authenticate(request, body)
    if failure is not None:
        return failure
    try:
        raw = json.loads(body)
    except ValueError:
        return _error(400, "body is not JSON")
    try:
        event = StatusEvent.model_validate(raw)
    except ValidationError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return _error(422, "invalid event", problems=problems)
    result = apply_event(event, source)
    logger.info("Dossier event from %s: duplicate=%s notifications=%d", source, result.duplicate, result.notifications)
    status = 200 if result.duplicate else 202
    return JSONResponse({"duplicate": result.duplicate, "notifications": result.notifications}, status_code=status)


routes = [Route("/api/v1/dossier-events", receive_event, methods=["POST"])]


def create_app() -> Starlette:
    """The push API alone (the console serves it with the staff pages)."""
    return Starlette(routes=routes)
