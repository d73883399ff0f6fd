"""Harness for the connector tests: real HTTP on 127.0.0.1, nothing further.

- ``async def`` tests run in a fresh event loop each (no pytest plugin needed).
- ``serve_channel`` mounts a connector's blueprint on a Sanic app exactly as
  ``rasa run`` does (``rasa.core.channels.channel.register``), with a stand-in
  agent that records the messages reaching Rasa.
- ``fake_platform`` is a local server standing in for a platform's API: it
  records every request and answers with what the test scripted.
- ``sleeps`` is an injected sleep that records back-off delays instead of
  waiting, so no test depends on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAYLOADS = Path(__file__).parent / "payloads"

# Several Sanic apps start and stop in one process here (a connector and the
# platform it talks to); Sanic's start-up code rewriting needs test mode for that.
Sanic.test_mode = True


def payload(name: str) -> bytes:
    """A recorded delivery, byte for byte (signatures are over the raw body)."""
    return (PAYLOADS / name).read_bytes()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**arguments))
        return True
    return None


class StandInAgent:
    """Rasa's agent as the channels see it: takes messages, optionally answers."""

    def __init__(self, reply: dict[str, Any] | None = None) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply is not None:
            await message.output_channel.send_response(message.sender_id, dict(self.reply))

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages]


@contextlib.asynccontextmanager
async def _sanic(app: Sanic) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


@dataclass
class ChannelServer:
    url: str
    agent: StandInAgent
    channel: InputChannel
    http: httpx.AsyncClient

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        """Deliver ``body`` to the webhook, then wait until its processing is over."""
        answer = await self.http.post(
            f"{self.url}/webhooks/{self.channel.name()}/webhook",
            content=body,
            headers={"content-type": "application/json", **(headers or {})},
        )
        await self.channel.background.drain()  # type: ignore[attr-defined]
        return answer


@contextlib.asynccontextmanager
async def serve_channel(channel: InputChannel, reply: dict[str, Any] | None = None) -> AsyncIterator[ChannelServer]:
    app = Sanic(f"rasa_{uuid.uuid4().hex[:12]}", configure_logging=False)
    agent = StandInAgent(reply)
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    async with _sanic(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield ChannelServer(url, agent, channel, http)


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


Answer = Callable[[Call], Awaitable[HTTPResponse] | HTTPResponse]


@dataclass
class FakePlatform:
    """A platform API on 127.0.0.1: ``script[path]`` lists the answers in order
    (the last one repeats); unscripted paths answer ``default``."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    script: dict[str, list[Answer]] = field(default_factory=dict)
    default: Answer = field(default=lambda call: response.json({"ok": True, "result": {}}))

    def to(self, path_end: str) -> list[Call]:
        return [c for c in self.calls if c.path.endswith(path_end)]

    async def answer(self, call: Call) -> HTTPResponse:
        self.calls.append(call)
        for path, answers in self.script.items():
            if call.path.endswith(path):
                chosen = answers.pop(0) if len(answers) > 1 else answers[0]
                break
        else:
            chosen = self.default
        result = chosen(call)
        return await result if inspect.isawaitable(result) else result


@contextlib.asynccontextmanager
async def fake_platform(
    script: dict[str, list[Answer]] | None = None, default: Answer | None = None
) -> AsyncIterator[FakePlatform]:
    platform = FakePlatform(script=dict(script or {}))
    if default is not None:
        platform.default = default
    app = Sanic(f"platform_{uuid.uuid4().hex[:12]}", configure_logging=False)

    @app.route("/<path:path>", methods=["GET", "POST"])
    async def anything(request: Request, path: str) -> HTTPResponse:
        call = Call(request.method, "/" + path, {k.lower(): v for k, v in request.headers.items()}, request.body)
        return await platform.answer(call)

    async with _sanic(app) as url:
        platform.url = url
        yield platform


class Sleeps(list):
    """Records the delays it is asked to wait, and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
