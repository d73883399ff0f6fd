"""The console's web application: every route of the staff web service.

Public: the QR poster pages (links anyone may print), the push API (HMAC
signed by the one-stop system), ``/login`` and the style sheet. Every other
route is guarded by ``console.auth.requires_role``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from console import admin, cards, figures_page, home, inbox, login, posters, transfer, unanswered_pages
from console.printing import PosterPrinter
from dossiers import api
from dossiers.notifier import run_forever
from webapp import health

STATIC = Path(__file__).resolve().parent / "static"


def create_app(deliver_notifications: bool = True) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever()) if deliver_notifications else None
        yield
        if task is not None:
            task.cancel()

    routes = [
        Route("/health", health),
        *api.routes,
        *posters.routes,
        *login.routes,
        *home.routes,
        *admin.routes,
        *cards.routes,
        *unanswered_pages.routes,
        *transfer.routes,
        *inbox.routes,
        *figures_page.routes,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.printer = PosterPrinter()
    return app
