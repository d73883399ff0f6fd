"""``make bench-load``: simulated citizens against the running processes; the
tables go into docs/benchmarks.md (between the ``bench-load`` markers).

Next to ``tests/bench.py`` (understanding alone) because it measures the whole
product the way the e2e tests drive it: it starts each topology on free
loopback ports (the processes of ``make run``, or ``scripts/run-prod``), then
citizens talk Vietnamese to it through the web relay (signed sessions from
``/api/session``, each citizen with an address of its own) and through the
Telegram and Zalo Bot webhooks, whose outgoing API calls reach a local
stand-in speaking the platform's format. Bounded in citizens and seconds;
nothing leaves 127.0.0.1. Figures, never assertions.

A webhook is answered at once and the replies come later as API calls, so a
webhook turn ends when the stand-in has heard nothing more for ``QUIET``
seconds; its latency is the time of its last reply (the wait is not counted).

Topologies (``--topologies``): ``embedded`` and ``stock`` (make run's processes
with config.yml's or config.baseline.yml's model), ``prod-N`` (scripts/run-prod
with N Rasa servers), and ``NAME@DIR`` (the same from another checkout, to
measure before and after a change). They run side by side: all are started,
then every phase runs in ``--rounds`` slices alternating them, so that other
work on the machine weighs on each alike.

Phases: one citizen without pause (sequential latency); levels of concurrent
citizens with think time (2-8 s), stopping at the first level whose p95 passes
300 ms; a saturation run without think time (turns/s); the peak resident memory
of each process; ``make parse`` throughput. Optionally: ``py-spy`` on the Rasa
server during saturation (``--profile``; ``python -m tests.load_profile``
groups the samples), training time without Rasa's cache (``--train``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from dossiers.api import signature
from tests.e2e.conftest import Processes, _free_port
from tests.evaluation import load as load_eval
from tests.support import ROOT, LocalServer, QuietHandler, write_section

THINK = (2.0, 8.0)
QUIET = 1.0
TURN_TIMEOUT = 30.0
TARGET_P95 = 0.300
BUSY = "hệ thống đang bận"
SECTION = "bench-load"

RASA_TOKEN, ACTION_TOKEN = "load-rasa-token-0123456789abcdef", "load-action-token-0123456789abcdef"
WEBCHAT_KEY, SECOND_FACTOR_KEY = "load-webchat-key-0123456789abcdef", "load-second-factor-0123456789abcdef"
PUSH_SOURCE, PUSH_SECRET = "load-test", "load-push-secret-0123456789abcdef"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "7000000001:AAload-telegram-token", "load-telegram-secret"
ZALO_BOT_TOKEN, ZALO_BOT_SECRET = "1234567890:load-bot-token", "load-zalo-bot-secret"

NEXT, STOP = "Xong, bước tiếp theo", "Dừng lại"
FOLLOW_UPS = (
    "còn lệ phí thì sao?",
    "mất bao lâu vậy ạ",
    "nộp hồ sơ ở đâu ạ",
    "có làm online được không",
    "cần giấy tờ gì",
)
DOSSIERS = [f"H29.22-240903-{n:04d}" for n in range(1, 21)]


# -- What citizens say ----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    text: str
    press: bool = False  # a button (or numbered option) with this title, typed when there is none


@functools.cache
def questions() -> tuple[list[str], list[str]]:
    """The held-out questions about cards and about catalog entries, parsed once:
    parsing the YAML blocks the event loop that times the turns (a second or
    so), so no citizen may do it while others are being timed."""
    procedures = [row["text"] for row in load_eval("procedures.yml") if row.get("procedure")]
    catalog = [row["text"] for row in load_eval("catalog.yml")["questions"] if row.get("code")]
    return procedures, catalog


def conversations(rng: random.Random) -> Iterator[tuple[str, list[Step]]]:
    """Endless realistic conversations, drawn from the held-out evaluation questions."""
    procedures, catalog = questions()
    while True:
        kind = rng.choices(["procedure", "catalog", "dossier", "walkthrough", "greeting"], [4, 2, 2, 1, 1])[0]
        if kind == "procedure":
            steps = [rng.choice(procedures), *rng.sample(FOLLOW_UPS, 2), "cảm ơn nhé"]
            yield kind, [Step(s) for s in steps]
        elif kind == "catalog":
            yield kind, [Step(rng.choice(catalog)), Step("cơ quan nào giải quyết ạ"), Step("cảm ơn")]
        elif kind == "dossier":
            code, other = rng.sample(DOSSIERS, 2)
            steps = [f"cho hỏi hồ sơ {code.lower()} của tôi đến đâu rồi", "tra cứu hồ sơ", other, "cảm ơn ad"]
            yield kind, [Step(s) for s in steps]
        elif kind == "walkthrough":
            yield kind, [Step("em muốn tạo tài khoản vneid"), Step(NEXT, True), Step(NEXT, True), Step(STOP, True)]
        else:
            yield kind, [Step("chao ad"), Step(rng.choice(procedures)), Step("tạm biệt")]


# -- The platforms' APIs, standing in ----------------------------------------------


@dataclass
class Sent:
    at: float
    text: str
    buttons: list[tuple[str, str]]  # (title, what pressing it sends)


class Inbox:
    """What the stand-in sent one chat; the citizen's task is woken on each message."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.messages: list[Sent] = []
        self.arrived = asyncio.Event()

    def add(self, sent: Sent) -> None:
        self.messages.append(sent)
        self.loop.call_soon_threadsafe(self.arrived.set)


class PlatformStandIn:
    """Telegram's Bot API or Zalo Bot's API on 127.0.0.1 (``/bot<token>/<method>``):
    answers as the platform does and hands each sent message to the chat's inbox."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.inboxes: dict[str, Inbox] = {}
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if "json" in (self.headers.get("content-type") or ""):
                    fields = json.loads(raw or b"{}")
                else:
                    fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                method = self.path.rsplit("/", 1)[-1]
                self.reply(200, json.dumps(stand_in.answer(method, fields)).encode())

        self.server = LocalServer(Handler)
        self.url = self.server.url

    def inbox(self, chat: str, loop: asyncio.AbstractEventLoop) -> Inbox:
        return self.inboxes.setdefault(chat, Inbox(loop))

    def answer(self, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        chat = str(fields.get("chat_id", ""))
        if method in ("sendMessage", "sendPhoto") and chat in self.inboxes:
            self.inboxes[chat].add(Sent(time.monotonic(), str(fields.get("text", "")), _keyboard(fields)))
        if self.kind == "zalo_bot":
            return {"ok": True, "result": {"message_id": "m1"}}
        if method in ("sendMessage", "sendPhoto"):
            chat_object = {"id": int(chat or 0), "type": "private", "first_name": "Lan"}
            return {"ok": True, "result": {"message_id": 100, "date": int(time.time()), "chat": chat_object}}
        return {"ok": True, "result": True}


def _keyboard(fields: dict[str, Any]) -> list[tuple[str, str]]:
    markup = fields.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b]


# -- Citizens, one per channel ------------------------------------------------------


class TurnFailed(Exception):
    pass


@dataclass
class Reply:
    text: str
    buttons: list[tuple[str, str]]


class Citizen:
    channel = ""

    async def open(self) -> None:
        """A new person: a new session or platform user."""

    async def send(self, text: str, last: list[Reply], press: bool) -> tuple[list[Reply], float]:
        """The replies to one message and the turn's latency in seconds."""
        raise NotImplementedError


class WebCitizen(Citizen):
    channel = "web"

    def __init__(self, http: httpx.AsyncClient, url: str, number: int) -> None:
        self.http, self.url = http, url
        self.headers = {"X-Forwarded-For": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"}
        self.session = ""

    async def open(self) -> None:
        answer = await self.http.post(f"{self.url}/api/session", headers=self.headers)
        if answer.status_code != 200:
            raise TurnFailed(f"session HTTP {answer.status_code}")
        self.session = answer.json()["session"]

    async def send(self, text: str, last: list[Reply], press: bool) -> tuple[list[Reply], float]:
        message = next((value for r in last for title, value in r.buttons if title == text), text) if press else text
        started = time.monotonic()
        answer = await self.http.post(
            f"{self.url}/api/chat", json={"session": self.session, "message": message}, headers=self.headers
        )
        latency = time.monotonic() - started
        if answer.status_code != 200:
            raise TurnFailed(f"HTTP {answer.status_code}")
        replies = [
            Reply(r.get("text", ""), [(b["title"], b["payload"]) for b in r.get("buttons", [])]) for r in answer.json()
        ]
        return replies, latency


_deliveries = itertools.count(int(time.time()) * 1000)


class WebhookCitizen(Citizen):
    """A platform user: deliveries posted to Rasa's webhook, replies read at the stand-in."""

    def __init__(self, http: httpx.AsyncClient, webhook: str, stand_in: PlatformStandIn, headers: dict[str, str]):
        self.http, self.webhook, self.stand_in, self.headers = http, webhook, stand_in, headers
        self.user = ""

    async def open(self) -> None:
        self.user = str(next(_deliveries))
        self.stand_in.inbox(self.user, asyncio.get_running_loop())

    def body(self, text: str, last: list[Reply], press: bool) -> dict[str, Any]:
        raise NotImplementedError

    async def send(self, text: str, last: list[Reply], press: bool) -> tuple[list[Reply], float]:
        inbox = self.stand_in.inboxes[self.user]
        seen = len(inbox.messages)
        started = time.monotonic()
        answer = await self.http.post(self.webhook, json=self.body(text, last, press), headers=self.headers)
        if answer.status_code != 200:
            raise TurnFailed(f"webhook HTTP {answer.status_code}")
        deadline = started + TURN_TIMEOUT
        while True:
            inbox.arrived.clear()
            got = len(inbox.messages) > seen
            wait = QUIET if got else deadline - time.monotonic()
            try:
                await asyncio.wait_for(inbox.arrived.wait(), max(wait, 0.0))
            except asyncio.TimeoutError:
                if not got:
                    raise TurnFailed("no reply") from None
                new = inbox.messages[seen:]
                return [Reply(m.text, m.buttons) for m in new], new[-1].at - started


class TelegramCitizen(WebhookCitizen):
    channel = "telegram"

    def body(self, text: str, last: list[Reply], press: bool) -> dict[str, Any]:
        number = next(_deliveries)
        person = {"id": int(self.user), "is_bot": False, "first_name": "Lan", "language_code": "vi"}
        chat = {"id": int(self.user), "first_name": "Lan", "type": "private"}
        data = next((value for r in last for title, value in r.buttons if title == text), None) if press else None
        if data is not None:
            message = {"message_id": number, "chat": chat, "date": int(time.time()), "text": "…"}
            query = {"id": str(number), "from": person, "message": message, "chat_instance": "1", "data": data}
            return {"update_id": number % 2**31, "callback_query": query}
        message = {"message_id": number, "from": person, "chat": chat, "date": int(time.time()), "text": text}
        return {"update_id": number % 2**31, "message": message}


class ZaloBotCitizen(WebhookCitizen):
    channel = "zalo"

    def body(self, text: str, last: list[Reply], press: bool) -> dict[str, Any]:
        if press:  # Zalo has no buttons: the citizen types the option's number
            for reply in last:
                found = re.search(rf"^(\d+)\. {re.escape(text)}$", reply.text, re.MULTILINE)
                if found:
                    text = found.group(1)
                    break
        message = {
            "from": {"id": self.user, "display_name": "Lan", "is_bot": False},
            "chat": {"id": self.user, "chat_type": "PRIVATE"},
            "text": text,
            "message_id": f"m{next(_deliveries)}",
            "date": int(time.time() * 1000),
        }
        return {"ok": True, "result": {"event_name": "message.text.received", "message": message}}


# -- Running citizens -------------------------------------------------------------------


@dataclass
class TurnResult:
    channel: str
    kind: str
    latency: float
    error: str | None = None


@dataclass
class Target:
    """Where citizens knock: the web relay and Rasa's webhooks (directly or through the proxy)."""

    web_url: str
    webhook_url: str
    telegram: PlatformStandIn
    zalo: PlatformStandIn


class Crowd:
    def __init__(self, target: Target, http: httpx.AsyncClient, seed: int = 13) -> None:
        questions()  # before any turn is timed
        self.target, self.http = target, http
        self.rng = random.Random(seed)
        self.numbers = itertools.count(1)

    def citizen(self, channel: str) -> Citizen:
        t = self.target
        if channel == "telegram":
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            return TelegramCitizen(self.http, f"{t.webhook_url}/webhooks/telegram/webhook", t.telegram, headers)
        if channel == "zalo":
            headers = {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET}
            return ZaloBotCitizen(self.http, f"{t.webhook_url}/webhooks/zalo_bot/webhook", t.zalo, headers)
        return WebCitizen(self.http, t.web_url, next(self.numbers))

    async def live(self, channel: str, until: float, think: bool, results: list[TurnResult]) -> None:
        """One citizen holding conversation after conversation until ``until``."""
        rng = random.Random(self.rng.random())
        talks = conversations(rng)
        if think:
            await asyncio.sleep(rng.uniform(0, THINK[1]))  # citizens do not all arrive at once
        while time.monotonic() < until:
            kind, steps = next(talks)
            citizen = self.citizen(channel)
            try:
                await citizen.open()
            except (TurnFailed, httpx.HTTPError) as exc:
                results.append(TurnResult(channel, kind, 0.0, _reason(exc)))
                continue
            last: list[Reply] = []
            for step in steps:
                if time.monotonic() >= until:
                    return
                try:
                    last, latency = await citizen.send(step.text, last, step.press)
                    error = "busy notice" if any(BUSY in r.text for r in last) else None
                    results.append(TurnResult(channel, kind, latency, error))
                except (TurnFailed, httpx.HTTPError) as exc:
                    results.append(TurnResult(channel, kind, 0.0, _reason(exc)))
                    last = []
                if think:
                    await asyncio.sleep(rng.uniform(*THINK))

    async def run(self, citizens: int, seconds: float, think: bool, mix: dict[str, float]) -> list[TurnResult]:
        results: list[TurnResult] = []
        until = time.monotonic() + seconds
        channels = _spread(citizens, mix)
        tasks = [asyncio.create_task(self.live(c, until, think, results)) for c in channels]
        await asyncio.sleep(seconds)
        await asyncio.wait(tasks, timeout=TURN_TIMEOUT + QUIET)
        for task in tasks:
            task.cancel()
        return results


def _spread(citizens: int, mix: dict[str, float]) -> list[str]:
    """``citizens`` channel names in the proportions of ``mix`` (every channel at least once)."""
    counts = {c: max(1, round(citizens * share)) for c, share in mix.items()}
    counts[max(mix, key=lambda c: mix[c])] += citizens - sum(counts.values())
    return [c for c, n in counts.items() for _ in range(max(n, 0))]


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, TurnFailed) else type(exc).__name__


# -- Figures ---------------------------------------------------------------------------


@dataclass
class Figures:
    turns: int
    errors: int
    p50: float
    p95: float
    p99: float
    seconds: float
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return (self.turns - self.errors) / self.seconds if self.seconds else 0.0


def figures(results: list[TurnResult], seconds: float) -> Figures:
    latencies = sorted(r.latency for r in results if r.error is None) or [float("nan")]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    kinds: dict[str, int] = defaultdict(int)
    for r in results:
        if r.error:
            kinds[r.error] += 1
    return Figures(len(results), sum(kinds.values()), statistics.median(latencies), pct(0.95), pct(0.99), seconds,
                   dict(kinds))  # fmt: skip


# -- Topologies ---------------------------------------------------------------------------


@dataclass
class Running:
    target: Target
    processes: dict[str, int]  # name -> pid (each with its children)
    model_load: float  # seconds from starting Rasa to its answering
    rasa_pids: list[int]
    stop: Callable[[], None]


def stack_env(work: Path, telegram: PlatformStandIn, zalo: PlatformStandIn) -> dict[str, str]:
    """The environment every process of a topology gets: secrets, the stand-ins, a
    per-client limit no citizen reaches (the limit is tested apart)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TTHC_RASA_TOKEN": RASA_TOKEN,
        "TTHC_ACTION_TOKEN": ACTION_TOKEN,
        "TTHC_WEBCHAT_KEY": WEBCHAT_KEY,
        "TTHC_SECOND_FACTOR_KEY": SECOND_FACTOR_KEY,
        "TTHC_PUSH_SECRETS": f"{PUSH_SOURCE}:{PUSH_SECRET}",
        "TTHC_WEBCHAT_MESSAGES_PER_MINUTE": "100000",
        "TTHC_WEBCHAT_SESSIONS_PER_MINUTE": "100000",
        "TTHC_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TTHC_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "TTHC_TELEGRAM_API_URL": telegram.url,
        "TTHC_ZALO_BOT_TOKEN": ZALO_BOT_TOKEN,
        "TTHC_ZALO_BOT_SECRET": ZALO_BOT_SECRET,
        "TTHC_ZALO_BOT_API_URL": zalo.url,
        "TTHC_DELIVERIES_DB": str(work / "deliveries.db"),
        "TTHC_SECRETS_DIR": str(work / "secrets"),
    }


def start_embedded(model: str, work: Path, telegram: PlatformStandIn, zalo: PlatformStandIn, tree: Path) -> Running:
    """The processes of ``make run`` (scripts/run) with bot/endpoints.yml's SQLite
    tracker store, on free ports and a copy of the app database; the code of the
    checkout ``tree`` (this one, or another to compare before and after a change)."""
    action_port, rasa_port, web_port, console_port = (_free_port() for _ in range(4))
    shutil.copy(ROOT / "var" / "app.db", work / "app.db")
    env = {
        **stack_env(work, telegram, zalo),
        "TTHC_DATABASE_URL": f"sqlite:///{work / 'app.db'}",
        "TTHC_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "TTHC_WEBCHAT_PORT": str(web_port),
        "TTHC_ACTION_PORT": str(action_port),
        "TTHC_CONSOLE_PORT": str(console_port),
    }
    endpoints = (ROOT / "bot" / "endpoints.yml").read_text()
    endpoints = endpoints.replace("127.0.0.1:5055", f"127.0.0.1:{action_port}").replace(
        '"var/tracker.db"', f'"{work / "tracker.db"}"'
    )
    (work / "endpoints.yml").write_text(endpoints)
    subprocess.run([".venv-engine/bin/python", "-m", "channels.credentials", str(work / "credentials.yml")],
                   cwd=ROOT, env=env, check=True)  # fmt: skip
    commands = {
        "actions": [".venv/bin/python", "-m", "actions"],
        "rasa": [
            ".venv-engine/bin/python", "-m", "engine.serve", "--model", model,
            "--endpoints", str(work / "endpoints.yml"),
            "--credentials", str(work / "credentials.yml"), "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--enable-api",
        ],
        "webchat": [".venv/bin/python", "-m", "webchat"],
        "console": [".venv/bin/python", "-m", "console"],
    }  # fmt: skip
    ready: dict[str, str | int] = {
        "actions": f"http://127.0.0.1:{action_port}/health",
        "rasa": f"http://127.0.0.1:{rasa_port}/",
        "webchat": f"http://127.0.0.1:{web_port}/",
        "console": console_port,
    }
    if tree != ROOT:  # every process runs in the other checkout, with its code first on the path
        env["PYTHONPATH"] = str(tree)
        commands = {name: ["env", f"--chdir={tree}", *command] for name, command in commands.items()}
    processes = Processes(work, commands, ready, env)
    load_seconds = 0.0
    for name in commands:
        started = time.monotonic()
        processes.start(name)
        if name == "rasa":
            load_seconds = time.monotonic() - started
    target = Target(f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{rasa_port}", telegram, zalo)
    pids = {name: p.pid for name, p in processes.running.items()}
    seed_dossiers(f"http://127.0.0.1:{console_port}")
    return Running(target, pids, load_seconds, [pids["rasa"]], processes.stop_all)


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_DB = 11  # a Redis database of its own: the tests use others


ACTION_SERVERS = 1


def _base_ports(rasa_servers: int, action_servers: int) -> tuple[int, int]:
    """Free Rasa and action balancer ports whose servers' ports (each base + 100 + i,
    ``deploy.production.plan``) do not meet: consecutive ports would, from two servers on."""
    rasa_port, action_port = _free_port(), _free_port()
    while not (action_port >= rasa_port + rasa_servers or rasa_port >= action_port + action_servers):
        action_port = _free_port()
    return rasa_port, action_port


def start_production(servers: int) -> Starter:
    """``scripts/run-prod`` (make run-prod) with ``servers`` Rasa servers, on free ports,
    a PostgreSQL database of its own (dropped at the end) and the machine's Redis."""

    def start(model: str, work: Path, telegram: PlatformStandIn, zalo: PlatformStandIn, tree: Path) -> Running:
        database = f"tthc_load_{work.name.rsplit('-', 1)[-1].lower()}"
        rasa_port, action_port = _base_ports(servers, ACTION_SERVERS)
        web_port, console_port, proxy_port = (_free_port() for _ in range(3))
        env = {
            **stack_env(work, telegram, zalo),
            "PYTHONPATH": str(tree),
            "MODEL": model,
            "TTHC_DATABASE_URL": f"{POSTGRES}/{database}",
            "TTHC_TRACKER_DATABASE_URL": f"{POSTGRES}/{database}",
            "TTHC_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "TTHC_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "TTHC_ACTION_URL": f"http://127.0.0.1:{action_port}/webhook",
            "TTHC_WEBCHAT_PORT": str(web_port),
            "TTHC_CONSOLE_PORT": str(console_port),
            "TTHC_PROXY_LISTEN": f"127.0.0.1:{proxy_port}",
            "TTHC_RASA_SERVERS": str(servers),
            "TTHC_ACTION_SERVERS": str(ACTION_SERVERS),
        }
        rasa_ports = [rasa_port + 100 + i for i in range(1, servers + 1)]
        ready: dict[str, str | int] = {"run-prod": f"http://127.0.0.1:{web_port}/"}
        command = ["scripts/run-prod"] if tree == ROOT else ["env", f"--chdir={tree}", "scripts/run-prod"]
        processes = Processes(work, {"run-prod": command}, ready, env)
        started = time.monotonic()
        processes.start("run-prod")
        for port in rasa_ports:
            _wait_until(f"http://127.0.0.1:{port}/", processes)
        load_seconds = time.monotonic() - started
        root = processes.running["run-prod"].pid
        rasa_pids = [pid for pid in descendants(root) if "engine.serve" in _cmdline(pid)]
        # The web relay directly (the proxy limits each client address, and here every
        # citizen comes from 127.0.0.1); webhooks through the proxy's Rasa balancer
        # (TTHC_RASA_URL), whose hash on the conversation is the affinity under test.
        target = Target(f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{rasa_port}", telegram, zalo)
        seed_dossiers(f"http://127.0.0.1:{console_port}")

        def stop() -> None:
            processes.stop_all()
            _drop_database(database)

        return Running(target, {"run-prod": root}, load_seconds, rasa_pids, stop)

    return start


def _wait_until(url: str, processes: Processes, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if any(p.poll() is not None for p in processes.running.values()):
            raise RuntimeError(f"the topology stopped:\n{processes.log_text()[-3000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


def _drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def seed_dossiers(console_url: str) -> None:
    """The dossiers citizens look up, pushed as the one-stop system does."""
    for number, code in enumerate(DOSSIERS):
        body = {
            "event_id": f"load-{code}",
            "dossier_code": code,
            "status": "processing" if number % 3 else "supplement_required",
            "occurred_at": "2024-09-04T08:30:00+07:00",
            "agency": "UBND phường Bến Thành",
            "appointment_on": "2024-09-10",
            "applicant_name": "Nguyễn Văn A",
            "applicant_phone_last4": "6789",
        }
        raw = json.dumps(body).encode()
        stamp = str(int(time.time()))
        headers = {"x-source": PUSH_SOURCE, "x-timestamp": stamp, "x-signature": signature(PUSH_SECRET, stamp, raw)}
        answer = httpx.post(f"{console_url}/api/v1/dossier-events", content=raw, headers=headers, timeout=30)
        if answer.status_code not in (200, 202):
            raise RuntimeError(f"seeding dossiers: HTTP {answer.status_code} {answer.text}")


# -- Processes' memory and the machine ----------------------------------------------------


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


KINDS = {"engine.serve": "rasa (each)", "-m actions": "actions", "-m webchat": "webchat", "-m console": "console",
         "nginx": "nginx"}  # fmt: skip


def _kind(pid: int) -> str | None:
    """Which of the topology's processes ``pid`` is, by its command line."""
    return next((kind for pattern, kind in KINDS.items() if pattern in _cmdline(pid)), None)


def peak_rss_mb(pid: int) -> dict[str, float]:
    """The largest resident size (VmHWM) of each kind of process under ``pid``
    (itself included), in MB: one figure for all Rasa servers, the largest."""
    peaks: dict[str, float] = {}
    for member in descendants(pid):
        kind = _kind(member)
        if kind is None:
            continue
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[kind] = max(peaks.get(kind, 0.0), int(line.split()[1]) / 1024)
    return peaks


# The database and the cache are the machine's services, not the topology's
# children: their CPU is counted machine-wide (the benchmark is their only user).
SERVICES = {"postgres": "PostgreSQL", "redis-server": "Redis"}
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """User and system CPU seconds a process has spent so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds(roots: list[int]) -> dict[str, float]:
    """CPU seconds spent so far by each kind of process under ``roots``, by the
    machine's PostgreSQL and Redis, and by this load generator (its stand-ins
    for Telegram and Zalo included): compared before and after a phase, what
    each part of a turn costs."""
    spent: dict[str, float] = defaultdict(float)
    members = {member for root in roots for member in descendants(root)}
    for stat in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError, ValueError):
            service = SERVICES.get(stat.read_text().strip())
            if service is not None:
                spent[service] += _cpu_of(int(stat.parent.name))
    for member in members:
        kind = _kind(member)
        with contextlib.suppress(OSError, ValueError):
            if kind is not None:
                spent[kind.replace(" (each)", "")] += _cpu_of(member)
    spent["load generator"] = time.process_time()
    return spent


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())  # fmt: skip
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB RAM, Python {platform.python_version()}"


class LoadAverage:
    """The machine's 1-minute load average, sampled while the benchmark runs."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(5):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        self._stop.set()
        s = self.samples or [os.getloadavg()[0]]
        return f"min {min(s):.1f}, mean {statistics.mean(s):.1f}, max {max(s):.1f}"


# -- One topology, all phases -----------------------------------------------------------


@dataclass
class Report:
    name: str
    model: str
    model_load: float = 0.0
    sequential: Figures | None = None
    levels: list[tuple[int, Figures]] = field(default_factory=list)
    channels: dict[str, Figures] = field(default_factory=dict)
    saturation: Figures | None = None
    saturation_citizens: int = 0
    memory: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds at saturation, by kind of process
    training: float | None = None
    parse: tuple[float, float] | None = None  # (load seconds, messages per second)
    profile: Path | None = None

    @property
    def held(self) -> int:
        return max((n for n, f in self.levels if f.p95 <= TARGET_P95 and not f.errors), default=0)


MIX = {"web": 0.6, "telegram": 0.2, "zalo": 0.2}


@dataclass
class Side:
    """One topology under measurement, its stack running beside the others'."""

    report: Report
    running: Running
    crowd: Crowd


async def measure(sides: list[Side], options: argparse.Namespace) -> None:
    """Every phase on every topology in turn, in ``--rounds`` slices, so that the
    other work on the machine weighs on each topology alike (side by side)."""
    for side in sides:
        warm = await side.crowd.run(3, 10, False, MIX)  # loads lazily built parts; every channel answers
        if any(r.error for r in warm) or {r.channel for r in warm} != set(MIX):
            failed = Counter((r.channel, r.error) for r in warm if r.error)
            raise RuntimeError(f"{side.report.name}: warm-up failed: {dict(failed)}")
    rounds = options.rounds
    sequential: dict[str, list[TurnResult]] = defaultdict(list)
    for _ in range(rounds):
        for side in sides:
            sequential[side.report.name] += await side.crowd.run(
                1, options.sequential_seconds / rounds, False, {"web": 1}
            )
    for side in sides:
        side.report.sequential = figures(sequential[side.report.name], options.sequential_seconds)
    active = list(sides)
    for citizens in options.levels:
        for side in list(active):
            if not await _run_level(side, citizens, options.level_seconds):
                active.remove(side)
    saturation: dict[str, list[TurnResult]] = defaultdict(list)
    for round_number in range(rounds):
        for side in sides:
            seconds = options.saturation_seconds / rounds
            profiler = _profiler(
                side, seconds, options.out / f"profile-{_slug(side.report.name)}-{round_number}.txt", options
            )
            before = cpu_seconds(list(side.running.processes.values()))
            saturation[side.report.name] += await side.crowd.run(options.saturation_citizens, seconds, False, MIX)
            after = cpu_seconds(list(side.running.processes.values()))
            for kind, spent in after.items():
                side.report.cpu[kind] = side.report.cpu.get(kind, 0.0) + spent - before.get(kind, 0.0)
            if profiler is not None:
                profiler.wait(timeout=60)
    for side in sides:
        side.report.saturation = figures(saturation[side.report.name], options.saturation_seconds)
        side.report.saturation_citizens = options.saturation_citizens
        if options.profile:
            side.report.profile = options.out / f"profile-{_slug(side.report.name)}.txt"
            parts = [options.out / f"profile-{_slug(side.report.name)}-{n}.txt" for n in range(rounds)]
            parts = [part for part in parts if part.exists()]
            side.report.profile.write_text("".join(part.read_text() for part in parts))
            for part in parts:
                part.unlink()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


async def _run_level(side: Side, citizens: int, seconds: float) -> bool:
    """One level of citizens with think time; whether p95 held without errors."""
    results = await side.crowd.run(citizens, seconds, True, MIX)
    level = figures(results, seconds)
    side.report.levels.append((citizens, level))
    held = level.p95 <= TARGET_P95 and not level.errors
    if held or not side.report.channels:
        by_channel: dict[str, list[TurnResult]] = defaultdict(list)
        for r in results:
            by_channel[r.channel].append(r)
        side.report.channels = {c: figures(rs, seconds) for c, rs in by_channel.items()}
    return held


def _profiler(side: Side, seconds: float, output: Path, options: argparse.Namespace) -> subprocess.Popen | None:
    """py-spy sampling the (first) Rasa server for ``seconds``, without pausing it."""
    if not options.profile:
        return None
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(side.running.rasa_pids[0]), "--format", "raw",
         "--rate", "100", "--nonblocking", "--duration", str(max(1, int(seconds))), "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _measure_all(runnings: list[tuple[Report, Running]], options: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    async with httpx.AsyncClient(timeout=TURN_TIMEOUT, limits=limits) as http:
        sides = [Side(report, running, Crowd(running.target, http)) for report, running in runnings]
        await measure(sides, options)


def run_topologies(names: list[str], options: argparse.Namespace) -> list[Report]:
    """Start every topology, measure them side by side, note their memory, stop them."""
    telegram, zalo = PlatformStandIn("telegram"), PlatformStandIn("zalo_bot")
    runnings: list[tuple[Report, Running]] = []
    try:
        for name in names:
            work = Path(tempfile.mkdtemp(prefix=f"load-{_slug(name)}-", dir=options.out))
            kind, _, tree = name.partition("@")
            start, model = topology(kind)
            running = start(model, work, telegram, zalo, Path(tree) if tree else ROOT)
            runnings.append((Report(name, model, running.model_load), running))
        asyncio.run(_measure_all(runnings, options))
        for report, running in runnings:
            for pid in running.processes.values():
                report.memory.update(peak_rss_mb(pid))
    finally:
        for _, running in runnings:
            running.stop()
        telegram.server.close()
        zalo.server.close()
    if not options.keep:
        for path in options.out.glob("load-*"):
            shutil.rmtree(path, ignore_errors=True)
    return [report for report, _ in runnings]


def training_seconds(config: str, out: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv-engine/bin/rasa"), "train", "--config", config, "--domain", "bot/domain", "--data",
         "bot/data", "--out", str(out), "--fixed-model-name", "timed"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # An empty cache of its own: Rasa would otherwise reuse the components it trained before.
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false",
             "RASA_CACHE_DIRECTORY": tempfile.mkdtemp(dir=out.parent)},
    )  # fmt: skip
    return time.monotonic() - started


def parse_throughput(model: str) -> tuple[float, float]:
    """``make parse`` on the held-out messages: seconds to the first answer (the model's
    load), then messages per second from the first answer to the last (one run)."""
    texts = [row["text"] for row in load_eval("procedures.yml")] + [row["text"] for row in load_eval("intents.yml")]
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ROOT / ".venv-engine/bin/python"), "-m", "nlu.parse", "--model", model],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    stdin = process.stdin

    def feed() -> None:
        stdin.write("".join(t.replace("\n", " ") + "\n" for t in texts))
        stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    process.stdout.readline()
    first = time.monotonic()
    answered = 1 + sum(1 for _ in process.stdout)
    last = time.monotonic()
    process.wait()
    return first - started, (answered - 1) / (last - first)


# -- The report ---------------------------------------------------------------------------

Starter = Callable[[str, Path, PlatformStandIn, PlatformStandIn, Path], Running]
TOPOLOGIES: dict[str, tuple[Starter, str]] = {
    "embedded": (start_embedded, "models/current.tar.gz"),
    "stock": (start_embedded, "models/baseline.tar.gz"),
}


def topology(kind: str) -> tuple[Starter, str]:
    """``embedded``, ``stock``, or ``prod-N``: scripts/run-prod with N Rasa servers."""
    servers = re.fullmatch(r"prod-(\d+)", kind)
    return (start_production(int(servers.group(1))), "models/current.tar.gz") if servers else TOPOLOGIES[kind]


CONFIGS = {"models/current.tar.gz": "config.yml", "models/baseline.tar.gz": "config.baseline.yml"}
TITLES = {
    "embedded": "embedded, Vietnamese pipeline",
    "stock": "embedded, stock pipeline",
}


def _title(name: str) -> str:
    kind, _, tree = name.partition("@")
    servers = re.fullmatch(r"prod-(\d+)", kind)
    title = f"production, {servers.group(1)} Rasa server(s)" if servers else TITLES.get(kind, kind)
    return title + (f" ({tree})" if tree else "")


def ms(value: float) -> str:
    return "—" if value != value else f"{value * 1000:.0f} ms"


def render(reports: list[Report], command: str, load_average: str, started: str) -> str:
    head = "| | " + " | ".join(_title(r.name) for r in reports) + " |"
    rule = "|---" * (len(reports) + 1) + "|"

    def row(label: str, cell: Callable[[Report], str]) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in reports) + " |"

    def opt(value: Any, fmt: Callable[[Any], str]) -> str:
        return "not measured" if value is None else fmt(value)

    memory_names = sorted({p for r in reports for p in r.memory})
    cpu_names = sorted({k for r in reports for k in r.cpu})
    lines = [
        f"## Load: {' · '.join(_title(r.name) for r in reports)} (make bench-load)",
        "",
        f"Written by `make bench-load` (tests/load.py) on {started}. Command: `{command}`.",
        "",
        f"Machine: {machine()}. Load average (1 min) during the run: {load_average}; above {os.cpu_count()},"
        " other work competed for the cores and every figure below is a lower bound.",
        "",
        "Citizens talk Vietnamese (procedure questions with follow-ups on another aspect, catalog questions,"
        " dossier look-ups, walkthrough steps, greetings) through the web relay (60 %), Telegram (20 %) and"
        f" Zalo Bot (20 %) webhooks. A turn is one message to its last reply (webhooks: the last reply before"
        f" {QUIET:.0f} s of silence). Errors: non-200 answers, no reply within {TURN_TIMEOUT:.0f} s, the busy notice.",
        "",
        head,
        rule,
        row("model load (Rasa start to answering)", lambda r: f"{r.model_load:.1f} s"),
        row("training time (`rasa train`)", lambda r: opt(r.training, lambda v: f"{v:.0f} s")),
        row("`make parse`: model load", lambda r: opt(r.parse, lambda v: f"{v[0]:.1f} s")),
        row("`make parse`: throughput", lambda r: opt(r.parse, lambda v: f"{v[1]:.0f} messages/s")),
        row("1 citizen, no pause: p50 / p95", lambda r: _pair(r.sequential)),
        row("1 citizen, no pause: turns/s", lambda r: f"{r.sequential.per_second:.1f}" if r.sequential else "—"),
        row("saturation (citizens without pause)", lambda r: str(r.saturation_citizens)),
        row("saturation: turns/s", lambda r: f"{r.saturation.per_second:.1f}" if r.saturation else "—"),
        row("saturation: p50 / p95 / p99", lambda r: f"{ms(r.saturation.p50)} / {ms(r.saturation.p95)} / "
            f"{ms(r.saturation.p99)}" if r.saturation else "—"),
        row("saturation: errors / turns", lambda r: _errors(r.saturation)),
        row("largest level of citizens with think time held at p95 ≤ 300 ms", lambda r: str(r.held)),
        *(row(f"saturation: CPU per turn, {k}", lambda r, k=k: _cpu_per_turn(r, k)) for k in cpu_names),
        row("saturation: CPU per turn, all", lambda r: _cpu_per_turn(r, None)),
        row(f"turns/s the {os.cpu_count()} cores allow at that cost", _ceiling),
        *(row(f"peak RSS: {p}", lambda r, p=p: f"{r.memory[p]:.0f} MB" if p in r.memory else "—")
          for p in memory_names),
        "",
        "Citizens with think time (2–8 s between messages), level by level: p50 / p95 / p99, errors / turns.",
        "",
        head,
        rule,
    ]  # fmt: skip
    levels = sorted({n for r in reports for n, _ in r.levels})
    for n in levels:
        lines.append(row(f"{n} citizens", lambda r, n=n: _level(dict(r.levels).get(n))))
    lines += [
        "",
        "Per channel at the largest level held, or the first level when none was (p50 / p95):",
        "",
        head,
        rule,
    ]
    for channel in MIX:
        lines.append(row(channel, lambda r, c=channel: _pair(r.channels.get(c))))
    return "\n".join(lines) + "\n"


def _turns(report: Report) -> int:
    return report.saturation.turns - report.saturation.errors if report.saturation else 0


def _cpu_per_turn(report: Report, kind: str | None) -> str:
    """CPU milliseconds per answered turn at saturation, of one kind of process or all."""
    spent = sum(report.cpu.values()) if kind is None else report.cpu.get(kind)
    if spent is None or not _turns(report):
        return "—"
    return f"{1000 * spent / _turns(report):.1f} ms"


def _ceiling(report: Report) -> str:
    """The turns per second the machine's cores allow if a turn costs what it cost."""
    spent = sum(report.cpu.values())
    return f"{(os.cpu_count() or 1) * _turns(report) / spent:.1f}" if spent and _turns(report) else "—"


def _pair(f: Figures | None) -> str:
    return "—" if f is None else f"{ms(f.p50)} / {ms(f.p95)}"


def _errors(f: Figures | None) -> str:
    if f is None:
        return "—"
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(f.error_kinds.items()))
    return f"{f.errors} / {f.turns}" + (f" ({detail})" if detail else "")


def _level(f: Figures | None) -> str:
    if f is None:
        return "—"
    return f"{ms(f.p50)} / {ms(f.p95)} / {ms(f.p99)}, {_errors(f)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--topologies",
        default="embedded,stock",
        help="comma-separated: embedded, stock, prod-N (scripts/run-prod, N Rasa servers); "
        "NAME@DIR runs NAME from another checkout (before/after)",
    )
    parser.add_argument("--levels", default="25,50,100,200", type=lambda s: [int(n) for n in s.split(",")])
    parser.add_argument("--level-seconds", type=float, default=20)
    parser.add_argument("--sequential-seconds", type=float, default=15)
    parser.add_argument("--saturation-citizens", type=int, default=20)
    parser.add_argument("--saturation-seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="slices per phase, alternating the topologies")
    parser.add_argument("--profile", action="store_true", help="py-spy on the Rasa server during saturation")
    parser.add_argument("--train", action="store_true", help="also time `rasa train` for each pipeline")
    parser.add_argument("--no-parse", dest="parse", action="store_false", help="skip `make parse` throughput")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs and databases")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "load")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--section", default=SECTION, help="the marked section of --report to rewrite")
    options = parser.parse_args()
    options.out = options.out.resolve()  # the processes may run in another checkout
    options.out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_average = LoadAverage()
    reports = run_topologies(options.topologies.split(","), options)
    parsed: dict[str, tuple[float, float]] = {}
    trained: dict[str, float] = {}
    for report in reports:  # once per model: the topologies of one model share the figures
        if options.parse:
            if report.model not in parsed:
                parsed[report.model] = parse_throughput(report.model)
            report.parse = parsed[report.model]
        if options.train:
            if report.model not in trained:
                trained[report.model] = training_seconds(CONFIGS[report.model], options.out / "trained")
            report.training = trained[report.model]
        if report.profile:
            print(f"{report.name}: py-spy samples in {report.profile} (python -m tests.load_profile FILE...)")
    command = "make bench-load" + (f" LOAD_ARGS='{os.environ['LOAD_ARGS']}'" if os.environ.get("LOAD_ARGS") else "")
    text = render(reports, command, load_average.summary(), started)
    print(text)
    if options.report:
        write_section(options.report, options.section, text)


if __name__ == "__main__":
    main()
