"""The console's start page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.auth import requires_role
from console.pages import render


@requires_role("editor", "staff")
async def start(request: Request) -> Response:
    return render(request, "home.html")


routes = [Route("/", start, methods=["GET"])]
