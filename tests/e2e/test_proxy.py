"""The reverse proxy shipped in deploy/nginx.conf (Debian's nginx), in front
of the running stack: the platform webhooks, the web chat and the push API
pass; Rasa's REST channel and HTTP API, the action server and the staff
pages do not, whatever token the caller has."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from deploy.nginx import Upstreams, write
from tests.e2e.conftest import RASA_TOKEN, Stack, _free_port


def _address(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}"


@pytest.fixture(scope="module")
def proxy(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = _free_port()
    upstreams = Upstreams(
        f"127.0.0.1:{port}", _address(stack.rasa_url), _address(stack.webchat_url), _address(stack.dossier_url)
    )
    config = write(tmp_path_factory.mktemp("nginx"), upstreams)
    process = subprocess.Popen([nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _blocked(response: httpx.Response) -> bool:
    return response.status_code in (403, 404) and "nginx" in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/webhooks/rest/webhook"),
        ("POST", "/webhooks/callback/webhook"),
        ("GET", f"/conversations/web:someone/tracker?token={RASA_TOKEN}"),
        ("POST", f"/conversations/web:someone/trigger_intent?token={RASA_TOKEN}"),
        ("PUT", f"/model?token={RASA_TOKEN}"),
        ("GET", f"/status?token={RASA_TOKEN}"),
        ("POST", "/webhook"),
        ("GET", "/staff/posters"),
        ("GET", "/login"),
        ("GET", "/cards"),
        ("GET", "/inbox"),
        ("GET", "/figures"),
        ("GET", "/webhooks/telegram/webhook"),
        ("GET", "/../../etc/passwd"),
    ],
)
def test_what_the_proxy_does_not_expose(proxy: str, method: str, path: str):
    assert _blocked(httpx.request(method, f"{proxy}{path}", json={"sender": "telegram:1", "message": "hi"}))


def test_the_web_chat_and_its_relay_pass(proxy: str):
    page = httpx.get(f"{proxy}/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    relay = httpx.post(f"{proxy}/api/chat", json={"message": "xin chào"})
    assert not _blocked(relay) and relay.status_code in (400, 401, 422)  # the relay itself refuses: no session
    updates = httpx.post(f"{proxy}/api/updates", json={"session": "forged"})
    assert not _blocked(updates) and updates.status_code in (400, 401, 422)  # staff replies reach the page this way


def test_the_push_api_and_the_platform_webhooks_pass(proxy: str):
    unsigned = httpx.post(f"{proxy}/api/v1/dossier-events", content=b"{}")
    assert unsigned.status_code == 401 and not _blocked(unsigned)
    hook = httpx.post(f"{proxy}/webhooks/telegram/webhook", json={})
    assert not _blocked(hook)  # reaches Rasa, whose Telegram connector refuses it (no secret header)


def test_bodies_are_bounded_at_the_door(proxy: str):
    assert httpx.post(f"{proxy}/api/chat", content=b"x" * 100_000).status_code == 413
