"""What the app's web services (web relay, console, push API) share when they
read a request: a body bounded before it is read, and JSON that is refused
with a reason rather than a stack trace; and the logging they all need.

A body is refused by its declared ``Content-Length`` and again while it is
streamed, so a large or chunked upload never sits in memory.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

import json_body


class BadRequest(Exception):
    """A request refused with an HTTP status and a reason for the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.reason}, status_code=self.status)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, or ``BadRequest(413)`` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise BadRequest(400, "bad Content-Length")
        if int(declared) > limit:
            raise BadRequest(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``BadRequest(400)`` with the reason."""
    try:
        return json_body.parse_json_object(body)
    except json_body.NotAJsonObject as refused:
        raise BadRequest(400, str(refused)) from None


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object of at most ``limit`` bytes, or ``BadRequest``."""
    return parse_json_object(await read_body(request, limit))


async def health(_: Request) -> JSONResponse:
    """``GET /health``: the process is up and serving (container health checks,
    the proxy's upstream checks). Nothing about its data: it needs no token."""
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


def quiet_http_logs() -> None:
    """Silence httpx's per-request INFO lines: they print whole URLs, and the
    URLs of Rasa's ``trigger_intent`` carry its API token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
