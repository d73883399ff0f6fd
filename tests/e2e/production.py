"""The production topology for end-to-end tests (``make run-prod``'s processes):
three Rasa servers and an action server behind the proxy's balancers, the web
relay and the console, on PostgreSQL (a fresh schema) and a Redis server of
the test's own, each reached through a connection the test can cut."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from deploy.nginx import Balancers, Upstreams, write
from tests.conftest import postgres_schema
from tests.e2e.conftest import (
    ACTION_TOKEN,
    MODEL,
    PUSH_SECRET,
    PUSH_SOURCE,
    RASA_TOKEN,
    CallbackReceiver,
    Processes,
    _free_port,
)
from tests.support import ROOT

RASA_SERVERS = 3


class RedisServer:
    """Debian's redis-server on a free port, for this test only (restarted by the
    fault tests; the machine's Redis is never touched). Nothing is persisted."""

    def __init__(self, work: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._work = work
        self._process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self._work)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


class Cuttable:
    """A TCP relay between the stack and a service: ``cut()`` closes every
    connection and refuses new ones (the service is unreachable), ``restore()``
    lets them through again. A fault injector, not a double: the service is real."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = _free_port()
        self._open = threading.Event()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        self._open.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self._open.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._open.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass(frozen=True)
class Production:
    proxy_url: str  # the public door (nginx)
    rasa_url: str  # the balancer in front of the Rasa servers (TTHC_RASA_URL)
    webchat_url: str
    dossier_url: str
    database_url: str  # the test's direct URL (not through the cut)
    processes: Processes
    database: Cuttable
    redis: RedisServer
    callback: CallbackReceiver
    rasa_servers: tuple[str, ...]  # process names

    def api(self, path: str) -> str:
        return f"{self.rasa_url}{path}?token={RASA_TOKEN}"


@contextlib.contextmanager
def start_production(work: Path) -> Iterator[Production]:
    with postgres_schema() as direct_url:
        parsed = make_url(direct_url)
        database = Cuttable(parsed.host or "127.0.0.1", parsed.port or 5432)
        stack_url = parsed.set(host="127.0.0.1", port=database.port).render_as_string(hide_password=False)
        redis = RedisServer(work)
        callback = CallbackReceiver()
        ports = {name: _free_port() for name in ("proxy", "rasa", "actions", "webchat", "console", "action-1")}
        rasa_ports = {f"rasa-{i}": _free_port() for i in range(1, RASA_SERVERS + 1)}
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TTHC_DATABASE_URL": stack_url,
            "TTHC_TRACKER_DATABASE_URL": stack_url,
            "TTHC_REDIS_URL": redis.url,
            "TTHC_RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
            "TTHC_ACTION_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
            "TTHC_WEBCHAT_PORT": str(ports["webchat"]),
            "TTHC_CONSOLE_PORT": str(ports["console"]),
            "TTHC_HOTLINE": "1900 0000",
            "TTHC_PUSH_SECRETS": f"{PUSH_SOURCE}:{PUSH_SECRET}",
            "TTHC_SECOND_FACTOR_KEY": "e2e-second-factor-key-0123456789",
            "TTHC_RASA_TOKEN": RASA_TOKEN,
            "TTHC_ACTION_TOKEN": ACTION_TOKEN,
            "TTHC_WEBCHAT_KEY": "e2e-webchat-key-0123456789",
            "TTHC_WEBCHAT_MESSAGES_PER_MINUTE": "6000",
            "TTHC_DELIVERIES_DB": str(work / "deliveries.db"),
        }
        for command in (["knowledge", "import"], ["knowledge", "import-catalog"]):
            subprocess.run(
                [".venv/bin/python", "-m", *command], cwd=ROOT, env={**env, "TTHC_DATABASE_URL": direct_url}, check=True
            )
        balancers = Balancers(
            rasa_listen=f"127.0.0.1:{ports['rasa']}",
            rasa_servers=tuple(f"127.0.0.1:{port}" for port in rasa_ports.values()),
            actions_listen=f"127.0.0.1:{ports['actions']}",
            action_servers=(f"127.0.0.1:{ports['action-1']}",),
        )
        upstreams = Upstreams(
            f"127.0.0.1:{ports['proxy']}",
            balancers.rasa_listen,
            f"127.0.0.1:{ports['webchat']}",
            f"127.0.0.1:{ports['console']}",
        )
        config = write(work / "nginx", upstreams, balancers)
        credentials = work / "credentials.yml"
        credentials.write_text(f'rest:\ncallback:\n  url: "{callback.url}"\n')
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        commands = {
            "nginx": [nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"],
            "action-1": [".venv/bin/python", "-m", "actions"],
            **{
                name: [
                    ".venv-engine/bin/python", "-m", "engine.serve", "--model", MODEL,
                    "--endpoints", "bot/endpoints.production.yml", "--credentials", str(credentials),
                    "--interface", "127.0.0.1", "--port", str(port), "--enable-api",
                ]
                for name, port in rasa_ports.items()
            },
            "webchat": [".venv/bin/python", "-m", "webchat"],
            "console": [".venv/bin/python", "-m", "console"],
        }  # fmt: skip
        ready: dict[str, str | int] = {
            "nginx": ports["proxy"],
            "action-1": f"http://127.0.0.1:{ports['action-1']}/health",
            **{name: f"http://127.0.0.1:{port}/" for name, port in rasa_ports.items()},
            "webchat": f"http://127.0.0.1:{ports['webchat']}/",
            "console": ports["console"],
        }
        processes = Processes(
            work, commands, ready, env, per_process_env={"action-1": {"TTHC_ACTION_PORT": str(ports["action-1"])}}
        )
        try:
            processes.start_together(list(commands))
            yield Production(
                proxy_url=f"http://127.0.0.1:{ports['proxy']}",
                rasa_url=f"http://127.0.0.1:{ports['rasa']}",
                webchat_url=f"http://127.0.0.1:{ports['webchat']}",
                dossier_url=f"http://127.0.0.1:{ports['console']}",
                database_url=direct_url,
                processes=processes,
                database=database,
                redis=redis,
                callback=callback,
                rasa_servers=tuple(rasa_ports),
            )
        finally:
            processes.stop_all()
            redis.stop()
            database.cut()
            callback.server.close()
