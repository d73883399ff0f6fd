"""The running stack for end-to-end tests: Rasa server (engine environment),
action server and web chat (app environment), on free local ports, with a
fresh app database seeded from the cards."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from settings import get_settings
from tests.conftest import postgres_schema
from tests.support import ROOT, LocalServer, QuietHandler

MODEL = os.environ.get("MODEL", "models/current.tar.gz")
START_TIMEOUT = 240


PUSH_SOURCE, PUSH_SECRET = "province-test", "e2e-push-secret"


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    webchat_url: str
    dossier_url: str
    database_url: str
    callback: CallbackReceiver


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        "TTHC_SECOND_FACTOR_KEY": "e2e-second-factor-key",
    }
    subprocess.run([".venv/bin/python", "-m", "knowledge", "import"], cwd=ROOT, env=env, check=True)
    # This test process reads and edits the same database as the stack.
    os.environ["TTHC_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n')
    credentials = work / "credentials.yml"
    credentials.write_text(f'rest:\ncallback:\n  url: "{callback.url}"\n')

    commands = {
        "actions": [".venv/bin/python", "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        "rasa": [
            ".venv-engine/bin/rasa", "run", "--model", MODEL, "--endpoints", str(endpoints),
            "--credentials", str(credentials), "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--enable-api",
        ],
        "webchat": [".venv/bin/python", "-m", "channels.webchat"],
        "console": [".venv/bin/python", "-m", "console"],
    }  # fmt: skip
    processes: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}
    try:
        for name, command in commands.items():
            logs[name] = work / f"{name}.log"
            with logs[name].open("w") as log:
                processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait(f"http://127.0.0.1:{action_port}/health", processes["actions"], "action server", logs["actions"])
        _wait(f"http://127.0.0.1:{rasa_port}/status", processes["rasa"], "Rasa server", logs["rasa"])
        _wait(f"http://127.0.0.1:{web_port}/", processes["webchat"], "web chat", logs["webchat"])
        _wait_port(dossier_port, processes["console"], "console", logs["console"])
        yield Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            webchat_url=f"http://127.0.0.1:{web_port}",
            dossier_url=f"http://127.0.0.1:{dossier_port}",
            database_url=database_url,
            callback=callback,
        )
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        callback.server.close()


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
    """One citizen talking through the web chat server."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self._url = f"{stack.webchat_url}/api/chat"
        self.sender = sender

    def say(self, message: str) -> list[dict]:
        response = httpx.post(self._url, json={"sender": self.sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def chat(stack: Stack, request: pytest.FixtureRequest) -> Chat:
    return Chat(stack, sender=re.sub(r"[^A-Za-z0-9_-]", "-", f"test-{request.node.name}")[:64])


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def button_titles(replies: list[dict]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", [])]
