"""``python -m dossiers serve`` (push API and notification delivery) and
``python -m dossiers import-csv FILE --source NAME``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from database import migrate
from dossiers.api import create_app
from dossiers.csv_import import import_csv
from dossiers.notifier import run_forever
from settings import get_settings


def _serve() -> None:
    app = create_app()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever())
        yield
        task.cancel()

    app.router.lifespan_context = lifespan
    uvicorn.run(app, host="127.0.0.1", port=get_settings().console_port, log_level="warning")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dossiers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="push API and notification delivery")
    csv_cmd = sub.add_parser("import-csv", help="import a CSV export of the one-stop system")
    csv_cmd.add_argument("file", type=Path)
    csv_cmd.add_argument("--source", required=True, help="the office or system the file comes from")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    migrate()
    if args.command == "serve":
        _serve()
        return 0
    result = import_csv(args.file.read_text(encoding="utf-8"), args.source)
    for line, reason in result.rejected:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(f"{result.accepted} rows stored, {result.duplicates} already known, {len(result.rejected)} rejected")
    return 1 if result.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
