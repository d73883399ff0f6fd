"""Helpers shared by the app-side tests and the evaluation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class QuietHandler(BaseHTTPRequestHandler):
    """Base of the local servers that stand in for systems outside the project."""

    def log_message(self, *args: object) -> None:
        pass

    def read_json(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["content-length"])))

    def reply(self, status: int, body: bytes = b"{}") -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)


class LocalServer:
    """A threaded HTTP server on a free port of 127.0.0.1."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` between the ``<!-- name -->`` markers of ``path`` (appended when
    absent), so the benchmark commands each rewrite their own part of one document."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        updated = before + block + rest.split(end, 1)[1]
    else:
        updated = current.rstrip() + ("\n\n" if current.strip() else "") + block + "\n"
    path.write_text(updated, encoding="utf-8")


COMPOSE_FILE = ROOT / "deploy" / "docker" / "compose.yml"


def compose_health_checks() -> dict[str, tuple[int, str]]:
    """Each compose service whose health check calls one of its own HTTP routes:
    service -> (port, path) read from the check's ``http://127.0.0.1:PORT/PATH``."""
    import yaml

    services = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
    checks = {}
    for name, service in services.items():
        test = " ".join((service.get("healthcheck") or {}).get("test", []))
        found = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\" ]*)", test)
        if found:
            checks[name] = (int(found.group(1)), found.group(2))
    return checks
