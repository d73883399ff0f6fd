"""The console and the web chat never log request URLs: Rasa's API token
rides in the URL of every ``trigger_intent`` call the console makes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn

import console.__main__ as console_main
import webchat.__main__ as webchat_main

TOKEN = "rasa-token-that-must-not-be-logged"


@pytest.fixture
def http_loggers() -> Iterator[None]:
    """httpx and httpcore at their default level, restored afterwards."""
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main()`` sets the process up but serves nothing."""
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(console_main, "migrate", lambda: None)
    monkeypatch.setenv("TTHC_WEBCHAT_KEY", "quiet-logs-webchat-key-0123456789")


def _trigger_intent() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=transport) as client:
        client.post(f"http://127.0.0.1:5005/conversations/web:x/trigger_intent?token={TOKEN}")


def test_httpx_would_log_the_token(http_loggers, caplog):
    """The risk, reproduced: without the setting, the URL and its token are logged."""
    caplog.set_level(logging.INFO)
    _trigger_intent()
    assert TOKEN in caplog.text


@pytest.mark.parametrize("main", [console_main.main, webchat_main.main], ids=["console", "webchat"])
def test_the_processes_do_not_log_request_urls(http_loggers, started, caplog, main: Callable[[], None]):
    main()
    caplog.set_level(logging.INFO)  # what the processes log at
    _trigger_intent()
    assert TOKEN not in caplog.text
