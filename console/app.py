"""The console's web application: every route of the staff web service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route

from console import posters
from console.printing import PosterPrinter
from dossiers import api
from dossiers.notifier import run_forever
from webapp import health


def create_app(deliver_notifications: bool = True) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever()) if deliver_notifications else None
        yield
        if task is not None:
            task.cancel()

    app = Starlette(routes=[Route("/health", health), *api.routes, *posters.routes], lifespan=lifespan)
    app.state.printer = PosterPrinter()
    return app
