"""The running stack for end-to-end tests: Rasa server (engine environment),
action server and web chat (app environment), on free local ports, with a
fresh app database seeded from the cards."""

from __future__ import annotations

import functools
import itertools
import json
import os
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from channels.ids import conversation_id
from settings import get_settings
from tests.conftest import postgres_schema
from tests.support import ROOT, LocalServer, QuietHandler

if TYPE_CHECKING:
    from tests.e2e.production import Production

MODEL = os.environ.get("MODEL", "models/current.tar.gz")
START_TIMEOUT = 240


PUSH_SOURCE, PUSH_SECRET = "province-test", "e2e-push-secret-0123456789"
RASA_TOKEN, ACTION_TOKEN = "e2e-rasa-token-0123456789", "e2e-action-token-0123456789"
# The Zalo OA, Zalo Bot and Telegram connectors run in the stack against PlatformAPI.
ZALO_OA_APP_ID, ZALO_OA_SECRET = "360846524940903967", "e2e-zalo-oa-secret-0123456789"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "7000000001:AAe2e-telegram-token", "e2e-telegram-secret-0123456789"
ZALO_BOT_TOKEN, ZALO_BOT_SECRET = "1234567890:e2e-zalo-bot-token", "e2e-zalo-bot-secret-0123456789"


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    webchat_url: str
    dossier_url: str
    database_url: str
    callback: CallbackReceiver
    tracker_db: Path
    processes: Processes
    action_url: str
    platforms: PlatformAPI

    def api(self, path: str) -> str:
        """A URL of Rasa's HTTP API, with its token."""
        return f"{self.rasa_url}{path}?token={RASA_TOKEN}"


class CallbackReceiver:
    """Stands in for a platform: Rasa's callback channel posts the bot's messages here."""

    def __init__(self) -> None:
        self.messages: dict[str, list[dict]] = defaultdict(list)
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_json()
                receiver.messages[body.get("recipient_id", "")].append(body)
                self.reply(200)

        self.server = LocalServer(Handler)
        self.url = f"{self.server.url}/bot"

    def wait_for(self, recipient: str, count: int, seconds: float = 20) -> list[dict]:
        deadline = time.monotonic() + seconds
        while len(self.messages[recipient]) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return list(self.messages[recipient])


class PlatformAPI:
    """Stands in for the Zalo OA, Zalo Bot and Telegram APIs: records every request
    (path and raw body) and answers as the platform does on success."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        api = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                api.calls.append((self.path, body))
                self.reply(200, json.dumps(api.answer(self.path, body)).encode())

            do_GET = do_POST

        self.server = LocalServer(Handler)
        self.url = self.server.url

    @staticmethod
    def answer(path: str, body: bytes) -> dict:
        if path.startswith(f"/bot{ZALO_BOT_TOKEN}/"):
            return {"ok": True, "result": {"message_id": "z1"}}
        if path.endswith("/message/cs"):
            user = json.loads(body)["recipient"]["user_id"]
            return {"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": user}}
        if path.endswith(("/sendMessage", "/sendPhoto")):
            chat = {"id": int(parse_qs(body.decode())["chat_id"][0]), "type": "private", "first_name": "Lan"}
            return {"ok": True, "result": {"message_id": 100, "date": int(time.time()), "chat": chat}}
        if path.endswith("/getMe"):
            bot = {"id": 7000000001, "is_bot": True, "first_name": "Trợ lý", "username": "tthc_bot"}
            return {"ok": True, "result": bot}
        return {"ok": True, "result": True}

    def sent(self, path_end: str) -> list[bytes]:
        return [body for path, body in self.calls if path.endswith(path_end)]

    def wait_for(self, path_end: str, count: int, seconds: float = 30) -> list[bytes]:
        deadline = time.monotonic() + seconds
        while len(self.sent(path_end)) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.sent(path_end)


_FIRST_PORT, _PORTS_PER_WORKER = 20000, 500


@functools.cache
def _worker_ports() -> Iterator[int]:
    """This test process's own ports, round and round. pytest-xdist's workers
    start stacks at the same moment, and a port the kernel reported free to
    two of them let one stack's readiness check reach the other's server:
    that stack then ran on the other's action server and database. Each
    worker ("gw0", "gw1", …) takes its ports from its own slice, below Linux's
    ephemeral ports, so no two can be handed the same."""
    return itertools.cycle(port_slice(os.environ.get("PYTEST_XDIST_WORKER", "gw0")))


def port_slice(worker: str) -> range:
    """The ports of the pytest-xdist worker named ``worker`` ("gw3"); any other name gets the first."""
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    first = _FIRST_PORT + index * _PORTS_PER_WORKER
    return range(first, first + _PORTS_PER_WORKER)


def _free_port() -> int:
    """A port of this worker's slice that nothing listens on now."""
    for _ in range(_PORTS_PER_WORKER):
        port = next(_worker_ports())
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("every port of this worker's slice is taken")


def _wait(url: str, process: subprocess.Popen, name: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not start in {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test`` runs tests on every core (pytest-xdist, ``--dist loadgroup``):
    the tests that share a started stack run in one worker, so each stack (one
    per database, and the production topology) starts once, not once per worker."""
    for item in items:
        if not item.nodeid.startswith("tests/e2e/"):
            continue
        names = getattr(item, "fixturenames", ())
        if "production" in names:
            group = "e2e-production"
        elif "stack" in names:
            group = f"e2e-stack-{item.callspec.params['database_url']}"  # type: ignore[attr-defined]
        else:
            group = f"e2e-{item.module.__name__}"  # type: ignore[attr-defined]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole stack runs once on SQLite (the default) and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'app.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("stack")
    action_port, rasa_port, web_port, dossier_port = _free_port(), _free_port(), _free_port(), _free_port()
    callback = CallbackReceiver()
    platforms = PlatformAPI()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TTHC_DATABASE_URL": database_url,
        "TTHC_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "TTHC_WEBCHAT_PORT": str(web_port),
        "TTHC_HOTLINE": "1900 0000",
        "TTHC_CONSOLE_PORT": str(dossier_port),
        "TTHC_PUSH_SECRETS": f"{PUSH_SOURCE}:{PUSH_SECRET}",
        "TTHC_SECOND_FACTOR_KEY": "e2e-second-factor-key-0123456789",
        "TTHC_RASA_TOKEN": RASA_TOKEN,
        "TTHC_ACTION_TOKEN": ACTION_TOKEN,
        "TTHC_WEBCHAT_KEY": "e2e-webchat-key-0123456789",
        "TTHC_ACTION_PORT": str(action_port),
        # Tests click faster than citizens type; the per-client limit itself is tested apart.
        "TTHC_WEBCHAT_MESSAGES_PER_MINUTE": "600",
        # A person is always on duty: handoffs enter the inbox whatever the hour (hours: tests/app).
        "TTHC_HANDOFF_HOURS": "mon-sun 00:00-24:00",
        "TTHC_ZALO_OA_APP_ID": ZALO_OA_APP_ID,
        "TTHC_ZALO_OA_SECRET": ZALO_OA_SECRET,
        "TTHC_ZALO_OA_ACCESS_TOKEN": "e2e-zalo-access-token",
        "TTHC_ZALO_OA_REFRESH_TOKEN": "e2e-zalo-refresh-token",
        "TTHC_ZALO_OA_TOKEN_FILE": str(work / "zalo_oa_tokens.json"),
        "TTHC_ZALO_OA_API_URL": platforms.url,
        "TTHC_ZALO_OAUTH_URL": platforms.url,
        "TTHC_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TTHC_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "TTHC_TELEGRAM_API_URL": platforms.url,
        "TTHC_ZALO_BOT_TOKEN": ZALO_BOT_TOKEN,
        "TTHC_ZALO_BOT_SECRET": ZALO_BOT_SECRET,
        "TTHC_ZALO_BOT_API_URL": platforms.url,
        "TTHC_DELIVERIES_DB": str(work / "deliveries.db"),
    }
    subprocess.run([".venv/bin/python", "-m", "knowledge", "import"], cwd=ROOT, env=env, check=True)
    subprocess.run([".venv/bin/python", "-m", "knowledge", "import-catalog"], cwd=ROOT, env=env, check=True)
    # This test process reads and edits the same database as the stack.
    os.environ["TTHC_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    endpoints = work / "endpoints.yml"
    tracker_db = work / "tracker.db"
    env["TTHC_TRACKER_DATABASE_URL"] = f"sqlite:///{tracker_db}"  # the console's figures read it
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "  headers:\n    X-Action-Token: ${TTHC_ACTION_TOKEN}\n"
        "tracker_store:\n  type: engine.tracker_store.PrivateSQLTrackerStore\n"
        f'  dialect: sqlite\n  db: "{tracker_db}"\n'
    )
    credentials = work / "credentials.yml"
    connectors = ("channels.zalo_oa.ZaloOAInput", "channels.zalo_bot.ZaloBotInput", "channels.telegram.TelegramInput")
    credentials.write_text(f'rest:\ncallback:\n  url: "{callback.url}"\n' + "".join(f"{c}:\n" for c in connectors))

    commands = {
        "actions": [".venv/bin/python", "-m", "actions"],
        "rasa": [
            ".venv-engine/bin/python", "-m", "engine.serve", "--model", MODEL, "--endpoints", str(endpoints),
            "--credentials", str(credentials), "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--enable-api",
        ],
        "webchat": [".venv/bin/python", "-m", "webchat"],
        "console": [".venv/bin/python", "-m", "console"],
    }  # fmt: skip
    ready = {
        "actions": f"http://127.0.0.1:{action_port}/health",
        "rasa": f"http://127.0.0.1:{rasa_port}/status?token={RASA_TOKEN}",
        "webchat": f"http://127.0.0.1:{web_port}/",
        "console": dossier_port,
    }
    processes = Processes(work, commands, ready, env)
    try:
        for name in commands:
            processes.start(name)
        yield Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            webchat_url=f"http://127.0.0.1:{web_port}",
            dossier_url=f"http://127.0.0.1:{dossier_port}",
            database_url=database_url,
            callback=callback,
            tracker_db=tracker_db,
            processes=processes,
            action_url=f"http://127.0.0.1:{action_port}",
            platforms=platforms,
        )
    finally:
        processes.stop_all()
        callback.server.close()
        platforms.server.close()


class Processes:
    """The stack's processes: started, stopped and restarted by name, each
    logging to ``<work>/<name>.log`` (tests read the logs)."""

    def __init__(
        self,
        work: Path,
        commands: dict[str, list[str]],
        ready: dict[str, str | int],
        env: dict[str, str],
        per_process_env: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.commands, self.ready, self.env = commands, ready, env
        self.per_process_env = per_process_env or {}
        self.logs = {name: work / f"{name}.log" for name in commands}
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, **env: str) -> None:
        self._spawn(name, env)
        self._wait_ready(name)

    def start_together(self, names: list[str]) -> None:
        """Start several at once (three Rasa servers load their models in parallel)."""
        for name in names:
            self._spawn(name, {})
        for name in names:
            self._wait_ready(name)

    def _spawn(self, name: str, env: dict[str, str]) -> None:
        with self.logs[name].open("a") as log:
            self.running[name] = subprocess.Popen(
                self.commands[name],
                cwd=ROOT,
                env={**self.env, **self.per_process_env.get(name, {}), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_ready(self, name: str) -> None:
        process, ready = self.running[name], self.ready[name]
        if isinstance(ready, int):
            _wait_port(ready, process, name, self.logs[name])
        else:
            _wait(ready, process, name, self.logs[name])

    def kill(self, name: str) -> None:
        """SIGKILL: the process dies mid-work, as in a crash."""
        process = self.running.pop(name)
        process.kill()
        process.wait(timeout=20)

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs.values() if path.exists())


def _wait_port(port: int, process: subprocess.Popen, name: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not start in {START_TIMEOUT}s")


class Chat:
    """One citizen talking through the web chat server, as the page does: a session from
    ``POST /api/session``, then every message with it. Each Chat has an address of its own
    (``X-Forwarded-For``, trusted from 127.0.0.1 as from a local proxy), so the relay's
    per-client limits count each test's citizen, not the whole suite."""

    def __init__(self, stack: Stack | Production) -> None:
        self._url = stack.webchat_url
        n = next(_client_numbers)
        self._headers = {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
        response = httpx.post(f"{self._url}/api/session", headers=self._headers, timeout=10)
        assert response.status_code == 200, response.text
        self._session = response.json()["session"]
        # The token is signed, not encrypted: it carries the conversation's web id.
        self.sender = conversation_id("web", URLSafeTimedSerializer("").loads_unsafe(self._session)[1])

    def say(self, message: str) -> list[dict]:
        body = {"session": self._session, "message": message}
        response = httpx.post(f"{self._url}/api/chat", json=body, headers=self._headers, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def updates(self, after: float = 0) -> dict:
        """What the page's poll gets: messages a person had said since ``after``."""
        body = {"session": self._session, "after": after}
        response = httpx.post(f"{self._url}/api/updates", json=body, headers=self._headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


_client_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """``make run-prod``'s topology: three Rasa servers behind the proxy, PostgreSQL, Redis."""
    from tests.e2e.production import start_production

    with start_production(tmp_path_factory.mktemp("production")) as production:
        yield production


@pytest.fixture
def chat(stack: Stack) -> Chat:
    return Chat(stack)


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def button_titles(replies: list[dict]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", [])]
