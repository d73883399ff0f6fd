"""With ``TTHC_REDIS_URL`` set, what the connectors remember is shared by every
Rasa server (a real Redis): options shown by one server are taken on another,
a long Telegram payload is found by another, a redelivery to another server
is recognised. Without Redis answering, nothing is lost: the delivery is
taken, the option is simply not remembered."""

from __future__ import annotations

import socket
import uuid

import pytest

from channels.deliveries import Deliveries, RedisDeliveries, shared_deliveries
from channels.memory import ExpiringMap, RedisMap
from channels.render import CallbackData, Option, OptionMemory
from settings import get_settings

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_configured(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TTHC_REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TTHC_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_options_shown_by_one_server_are_taken_on_another(redis_configured):
    sender = f"zalo_oa:{uuid.uuid4().hex}"
    one, another = OptionMemory(), OptionMemory()
    one.add(sender, [Option("Giấy tờ", '/ask_aspect{"aspect":"documents"}'), Option("Lệ phí", "/fee")])
    assert another.next_number(sender) == 3
    assert another.take(sender, "2") == "/fee"
    assert one.take(sender, "2") == "2"  # spent everywhere


def test_a_long_telegram_payload_is_found_by_another_server(redis_configured):
    payload = '/ask_procedure{"procedure":"' + "x" * 80 + uuid.uuid4().hex + '"}'
    data = CallbackData().encode(payload)
    assert len(data.encode()) <= 64
    assert CallbackData().decode(data) == payload


def test_a_redelivery_to_another_server_is_recognised(redis_configured):
    key = uuid.uuid4().hex
    one, another = shared_deliveries(), shared_deliveries()
    assert isinstance(one, RedisDeliveries)
    assert one.first_time("telegram", key)
    assert not another.first_time("telegram", key)
    assert another.first_time("zalo_oa", key)  # one id space per channel


def test_without_redis_settings_the_embedded_homes_are_used(monkeypatch):
    monkeypatch.delenv("TTHC_REDIS_URL", raising=False)
    get_settings.cache_clear()
    assert type(shared_deliveries()) is Deliveries
    assert isinstance(OptionMemory()._shown, ExpiringMap)
    get_settings.cache_clear()


def test_when_redis_does_not_answer_nothing_is_lost(redis_down):
    assert shared_deliveries().first_time("telegram", "1")  # taken: a duplicate beats a lost message
    assert shared_deliveries().first_time("telegram", "1")
    memory = OptionMemory()
    assert isinstance(memory._shown, RedisMap)
    memory.add("zalo_oa:1", [Option("A", "/a")])
    assert memory.take("zalo_oa:1", "1") == "1"  # not remembered: the text goes to Rasa as typed
