"""Helpers shared by the app-side tests and the evaluation."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse(texts: list[str], model: str = "models/current.tar.gz", env: dict[str, str] | None = None) -> list[dict]:
    """Run ``make -s parse`` (the measuring interface) on ``texts``."""
    result = subprocess.run(
        ["make", "-s", "parse", f"MODEL={model}"],
        input="".join(t.replace("\n", " ") + "\n" for t in texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        # The default app database (seeded by `make setup`), unless a test says otherwise.
        env={**{k: v for k, v in os.environ.items() if k != "TTHC_DATABASE_URL"}, **(env or {})},
        check=True,
        timeout=1200,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]
