"""Poster PDFs for the console, printed without stalling it.

Headless Chromium takes seconds per poster; run on the event loop it held
up every other request of the console (the dossier push API included). Here
it runs in a worker thread, at most ``slots`` at once (beyond that the caller
is told to retry), and each poster is printed once: the PDF is kept under a
hash of the poster's HTML, which changes exactly when what is printed does
(the card's name or code, or a channel link).
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
SLOTS = 2
KEEP = 128  # PDFs kept (tens of kB each): every card's poster, with room for edits


def html_to_pdf(page: str) -> bytes:
    """``page`` printed to PDF by headless Chromium (installed by `make setup`):
    seconds of work, so the web service calls it through ``PosterPrinter``."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "poster.html", Path(work) / "poster.pdf"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={work}/profile", "--no-pdf-header-footer",
                f"--print-to-pdf={target}", source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        return target.read_bytes()


class PrinterBusy(Exception):
    """Every slot is printing another poster."""


class PosterPrinter:
    """Prints poster HTML to PDF off the event loop, once per distinct page."""

    def __init__(self, print_pdf: Callable[[str], bytes] = html_to_pdf, slots: int = SLOTS, keep: int = KEEP) -> None:
        self._print = print_pdf
        self._slots = slots
        self._keep = keep
        self._printed: OrderedDict[str, bytes] = OrderedDict()
        self._printing: dict[str, asyncio.Task[bytes]] = {}

    async def pdf(self, page: str) -> bytes:
        """The PDF of ``page``; ``PrinterBusy`` when it would need a slot and none is free.

        Requests for a page already being printed wait for that print."""
        key = hashlib.sha256(page.encode("utf-8")).hexdigest()
        if key in self._printed:
            self._printed.move_to_end(key)
            return self._printed[key]
        if key not in self._printing:
            if len(self._printing) >= self._slots:
                raise PrinterBusy
            self._printing[key] = asyncio.create_task(self._print_once(key, page))
        # Shielded: a client that goes away does not cancel a print others wait for.
        return await asyncio.shield(self._printing[key])

    async def _print_once(self, key: str, page: str) -> bytes:
        try:
            pdf = await asyncio.to_thread(self._print, page)
        finally:
            del self._printing[key]
        self._printed[key] = pdf
        if len(self._printed) > self._keep:
            self._printed.popitem(last=False)
        return pdf
