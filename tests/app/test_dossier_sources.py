"""The HTTP dossier source against a local server that is slow, down or talking nonsense."""

import asyncio
import json
import time

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

import actions.dossiers
from dossiers.events import second_factor_hash
from dossiers.sources import HttpSource, HttpSourceConfig, SourceUnavailable, get_source
from settings import ROOT, get_settings
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
                    body = {
                        "trangThai": "DANG_XU_LY",
                        "ngayHenTra": "2024-09-10",
                        "coQuanTiepNhan": "UBND xã A",
                        "soDienThoai": "+84 912 345 678",
                        "so4": "4321",
                    }
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


def test_the_citizen_is_told_the_system_is_busy(province, monkeypatch):
    province.mode = "5xx"
    monkeypatch.setattr(actions.dossiers, "get_source", lambda: _source(province))
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.dossiers.answer_status(dispatcher, [CODE]))
    assert dispatcher.messages[0]["response"] == "utter_dossier_source_busy"


@pytest.fixture
def configured(province, tmp_path, monkeypatch):
    """``TTHC_DOSSIER_SOURCE=http`` with a mapping file like the example's."""
    config = yaml.safe_load((ROOT / "dossiers" / "http_source.example.yml").read_text(encoding="utf-8"))
    config.update(base_url=province.url, timeout_seconds=0.3, backoff_seconds=0.01)
    path = tmp_path / "source.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("TTHC_DOSSIER_SOURCE", "http")
    monkeypatch.setenv("TTHC_DOSSIER_HTTP_CONFIG", str(path))
    get_settings.cache_clear()
    yield province
    get_settings.cache_clear()


def test_one_source_per_process_so_the_breaker_opens_across_look_ups(configured):
    """The fault: a source made for every message never opened its breaker
    (5 look-ups, 3 calls each: 15 calls). Now the third failed look-up opens it."""
    configured.mode = "5xx"
    outcomes = []
    for _ in range(5):
        with pytest.raises(SourceUnavailable) as failure:
            asyncio.run(get_source().lookup(CODE))
        outcomes.append(str(failure.value))
    assert configured.calls == 3 * 3  # 3 look-ups of one try and 2 retries, then nothing
    assert outcomes[3:] == ["circuit open", "circuit open"]
    assert get_source() is get_source()
    get_settings.cache_clear()  # new settings: a new source (as tests switch sources)
    assert get_source().breaker.state == "closed"


def test_the_view_carries_the_second_factor_hash(configured):
    view = asyncio.run(get_source().lookup(CODE))
    assert view.second_factor_hash == second_factor_hash(CODE, "5678")  # the last 4 of the whole number


def test_a_field_of_the_last_four_digits_is_used_as_is(province):
    source = _source(province, fields={"status": "trangThai", "applicant_phone_last4": "so4"})
    assert asyncio.run(source.lookup(CODE)).second_factor_hash == second_factor_hash(CODE, "4321")


def test_without_a_phone_field_there_is_no_second_factor(province):
    assert asyncio.run(_source(province, fields={"status": "trangThai"}).lookup(CODE)).second_factor_hash is None
