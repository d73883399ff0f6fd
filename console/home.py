"""The console's start page: what needs an editor's attention."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.auth import current_user, has_role, requires_role
from console.cards import rows
from console.pages import render
from knowledge import unanswered
from settings import get_settings


@requires_role("editor", "staff")
async def start(request: Request) -> Response:
    user = current_user(request)
    editor = user is not None and has_role(user, ("editor",))
    due = [row for row in rows() if row.due] if editor else []
    questions = len(unanswered.groups("open")) if editor else 0
    return render(request, "home.html", due=due, questions=questions, review_months=get_settings().review_months)


routes = [Route("/", start, methods=["GET"])]
