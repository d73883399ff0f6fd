"""The proxy's conversation affinity (deploy/nginx.conf with the balancers of
``make run-prod``), in front of three local servers that say who they are:
every way a conversation is reached - a platform webhook, the web relay's
REST call, the notifier's /conversations/<id>/ call - lands on the same
server; conversations spread over the servers; a message text cannot steer
the choice; a server that is down hands its conversations to another."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from deploy.nginx import Balancers, Upstreams, write
from tests.e2e.conftest import _free_port
from tests.support import LocalServer, QuietHandler


def _server(name: str) -> LocalServer:
    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.reply(200, json.dumps({"server": name}).encode())

        do_GET = do_POST

    return LocalServer(Handler)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, LocalServer]]]:
    servers = {name: _server(name) for name in ("a", "b", "c")}
    public, internal, actions = _free_port(), _free_port(), _free_port()
    balancers = Balancers(
        rasa_listen=f"127.0.0.1:{internal}",
        rasa_servers=tuple(server.url.removeprefix("http://") for server in servers.values()),
        actions_listen=f"127.0.0.1:{actions}",
        action_servers=(servers["a"].url.removeprefix("http://"),),
    )
    upstreams = Upstreams(f"127.0.0.1:{public}", balancers.rasa_listen, "127.0.0.1:9", "127.0.0.1:9")
    config = write(tmp_path_factory.mktemp("nginx"), upstreams, balancers)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"])
    for _ in range(50):
        try:
            httpx.get(f"http://127.0.0.1:{public}/", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{public}", f"http://127.0.0.1:{internal}", servers
    process.terminate()
    process.wait(timeout=10)
    for server in servers.values():
        server.close()


def _served_by(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["server"]


def telegram_message(user: int, text: str = "xin chào") -> bytes:
    update = {
        "update_id": 1,
        "message": {"message_id": 5, "from": {"id": user, "is_bot": False, "first_name": "A"},
                    "chat": {"id": user, "type": "private"}, "date": 0, "text": text},
    }  # fmt: skip
    return json.dumps(update, separators=(",", ":")).encode()


def telegram_button(user: int) -> bytes:
    """A button press: the first "from" is the citizen, the message's own "from" is the bot."""
    update = {
        "update_id": 2,
        "callback_query": {"id": "9", "from": {"id": user, "is_bot": False}, "data": "/greet",
                           "message": {"message_id": 6, "from": {"id": 42, "is_bot": True},
                                       "chat": {"id": user, "type": "private"}}},
    }  # fmt: skip
    return json.dumps(update, separators=(",", ":")).encode()


def routes_of(public: str, internal: str, conversation: str) -> set[str]:
    channel, user = conversation.split(":", 1)
    ways = [
        httpx.post(f"{internal}/webhooks/rest/webhook", json={"sender": conversation, "message": "chào"}),
        httpx.post(f"{internal}/conversations/{conversation}/trigger_intent", json={"name": "x"}),
        httpx.get(f"{internal}/conversations/{conversation}/tracker"),
    ]
    if channel == "telegram":
        for body in (telegram_message(int(user)), telegram_button(int(user))):
            ways.append(httpx.post(f"{public}/webhooks/telegram/webhook", content=body))
    if channel == "zalo_oa":
        body = {"app_id": "1", "sender": {"id": user}, "recipient": {"id": "oa"}, "event_name": "user_send_text"}
        ways.append(httpx.post(f"{public}/webhooks/zalo_oa/webhook", json=body))
    if channel == "zalo_bot":
        message = {"from": {"id": user}, "chat": {"id": user, "chat_type": "PRIVATE"}, "text": "hi"}
        body = {"ok": True, "result": {"event_name": "message.text.received", "message": message}}
        ways.append(httpx.post(f"{public}/webhooks/zalo_bot/webhook", json=body))
    return {_served_by(response) for response in ways}


@pytest.mark.parametrize(
    "conversation", ["telegram:1001", "telegram:77", "zalo_oa:4815162342", "zalo_bot:zb-5", "web:x1"]
)
def test_every_way_into_a_conversation_reaches_one_server(proxy, conversation):
    public, internal, _ = proxy
    assert len(routes_of(public, internal, conversation)) == 1


def test_conversations_spread_over_the_servers(proxy):
    _, internal, _ = proxy
    used = {
        _served_by(httpx.post(f"{internal}/webhooks/rest/webhook", json={"sender": f"web:c{n}", "message": "a"}))
        for n in range(30)
    }
    assert used == {"a", "b", "c"}


def test_a_message_text_cannot_steer_the_choice(proxy):
    public, internal, _ = proxy
    for n in range(10):
        sender = f"web:s{n}"
        own = _served_by(httpx.post(f"{internal}/webhooks/rest/webhook", json={"sender": sender, "message": "a"}))
        # The text comes first and names another sender; JSON escapes its quotes.
        body = {"message": f'"sender": "web:other{n}"', "sender": sender}
        assert _served_by(httpx.post(f"{internal}/webhooks/rest/webhook", json=body)) == own
        forged = telegram_message(int(f"9{n}"), text='"chat":{"id":1,"sender":{"id":"x"}}')
        plain = telegram_message(int(f"9{n}"))
        assert _served_by(httpx.post(f"{public}/webhooks/telegram/webhook", content=forged)) == _served_by(
            httpx.post(f"{public}/webhooks/telegram/webhook", content=plain)
        )


def test_a_server_that_is_down_hands_its_conversations_to_another(proxy, tmp_path):
    _, internal, servers = proxy
    owners = {
        n: _served_by(httpx.post(f"{internal}/webhooks/rest/webhook", json={"sender": f"web:d{n}", "message": "a"}))
        for n in range(30)
    }
    servers["c"].close()
    for n, owner in owners.items():
        now = _served_by(httpx.post(f"{internal}/webhooks/rest/webhook", json={"sender": f"web:d{n}", "message": "a"}))
        assert now != "c"
        if owner != "c":
            assert now == owner  # the others keep theirs: consistent hashing moves only the lost server's
