"""The HTTP dossier source against a local server that is slow, down or talking nonsense."""

import asyncio
import json
import time

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.dossiers
from dossiers.sources import CircuitBreaker, HttpSource, HttpSourceConfig, SourceUnavailable
from tests.support import LocalServer, QuietHandler

CODE = "H29.22-240903-0007"


class Province:
    """A province's look-up API; ``mode`` says how it misbehaves."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        province = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                province.calls += 1
                if province.mode == "slow":
                    time.sleep(1.0)
                if province.mode == "5xx":
                    self.reply(503, b'{"error": "maintenance"}')
                elif province.mode == "garbage":
                    self.reply(200, b"<html>not json</html>")
                elif self.path.endswith("KHONG-CO"):
                    self.reply(404)
                else:
                    body = {"trangThai": "DANG_XU_LY", "ngayHenTra": "2024-09-10", "coQuanTiepNhan": "UBND xã A"}
                    self.reply(200, json.dumps(body).encode())

        self.server = LocalServer(Handler)
        self.url = self.server.url


@pytest.fixture
def province():
    province = Province()
    yield province
    province.server.close()


def _source(province: Province, **overrides) -> HttpSource:
    config = {
        "base_url": province.url,
        "path": "/hoso/{code}",
        "timeout_seconds": 0.3,
        "retries": 1,
        "backoff_seconds": 0.01,
        "breaker_threshold": 2,
        "breaker_reset_seconds": 0.5,
        "fields": {"status": "trangThai", "appointment_on": "ngayHenTra", "agency": "coQuanTiepNhan"},
        "statuses": {"DANG_XU_LY": "processing"},
        **overrides,
    }
    return HttpSource(HttpSourceConfig(**config))


def test_remote_fields_and_statuses_are_mapped(province):
    view = asyncio.run(_source(province).lookup(CODE))
    assert (view.status, str(view.appointment_on), view.agency) == ("processing", "2024-09-10", "UBND xã A")
    assert asyncio.run(_source(province).lookup("KHONG-CO")) is None


@pytest.mark.parametrize("mode", ["slow", "5xx", "garbage"])
def test_misbehaving_source_is_unavailable_after_retries(province, mode):
    province.mode = mode
    with pytest.raises(SourceUnavailable):
        asyncio.run(_source(province).lookup(CODE))
    assert province.calls == 2  # one try and one retry


def test_breaker_opens_then_lets_a_trial_through_and_closes(province):
    source = _source(province)
    province.mode = "5xx"
    for _ in range(2):
        with pytest.raises(SourceUnavailable):
            asyncio.run(source.lookup(CODE))
    assert source.breaker.state == "open"
    calls = province.calls
    with pytest.raises(SourceUnavailable, match="circuit open"):
        asyncio.run(source.lookup(CODE))
    assert province.calls == calls  # the source was spared
    province.mode = "ok"
    time.sleep(0.6)
    assert source.breaker.state == "half-open"
    assert asyncio.run(source.lookup(CODE)).status == "processing"
    assert source.breaker.state == "closed"


def test_breaker_reopens_when_the_trial_fails():
    breaker = CircuitBreaker(threshold=3, reset_seconds=10.0)
    breaker.opened_at = time.monotonic() - 11
    assert breaker.state == "half-open"
    breaker.failure()
    assert breaker.state == "open"


def test_the_citizen_is_told_the_system_is_busy(province, monkeypatch):
    province.mode = "5xx"
    monkeypatch.setattr(actions.dossiers, "get_source", lambda: _source(province))
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.dossiers.answer_status(dispatcher, [CODE]))
    assert dispatcher.messages[0]["text"].startswith("Dạ, hệ thống tra cứu hồ sơ đang bận")
