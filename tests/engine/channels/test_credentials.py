"""The generated credentials file, read by Rasa's own loader."""

from __future__ import annotations

import pytest
from rasa.core.channels.rest import RestInput
from rasa.core.run import create_http_input_channels
from sanic import Sanic

from channels.credentials import write_credentials
from channels.telegram import TelegramInput
from channels.zalo_bot import ZaloBotInput
from channels.zalo_oa import ZaloOAInput
from channels.zalo_tokens import TokenFile, TokenPair
from settings import get_settings

ALL = {
    "TTHC_ZALO_OA_APP_ID": "360846524940903967",
    "TTHC_ZALO_OA_SECRET": "oa-secret-value",
    "TTHC_ZALO_OA_ACCESS_TOKEN": "access-value",
    "TTHC_ZALO_OA_REFRESH_TOKEN": "refresh-value",
    "TTHC_ZALO_BOT_TOKEN": "bot-token-value",
    "TTHC_ZALO_BOT_SECRET": "bot-secret-value",
    "TTHC_TELEGRAM_TOKEN": "7000000001:telegram-token-value",
    "TTHC_TELEGRAM_SECRET": "telegram-secret-value",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TTHC_ZALO_OA_TOKEN_FILE", str(tmp_path / "tokens.json"))
    get_settings.cache_clear()

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


def test_with_no_platform_configured_only_the_web_chat_runs(environment, tmp_path) -> None:
    path = tmp_path / "credentials.yml"
    assert write_credentials(path) == []
    channels = create_http_input_channels(None, str(path))
    assert [type(c) for c in channels] == [RestInput]


def test_every_configured_platform_is_listed_and_loads_in_rasa(environment, tmp_path) -> None:
    environment(**ALL)
    path = tmp_path / "credentials.yml"
    write_credentials(path)
    text = path.read_text()
    assert all(value not in text for value in ALL.values())  # names only, no secrets
    channels = create_http_input_channels(None, str(path))
    assert [type(c) for c in channels] == [RestInput, ZaloOAInput, ZaloBotInput, TelegramInput]
    # All mount side by side on one server, as `rasa run` does.
    Sanic.test_mode = True
    app = Sanic("credentials_test", configure_logging=False)
    from rasa.core.channels.channel import register

    register(channels, app, route="/webhooks/")
    paths = {route.path for route in app.router.routes}
    for name in ("rest", "zalo_oa", "zalo_bot", "telegram"):
        assert f"webhooks/{name}/webhook" in paths


def test_a_half_configured_platform_is_left_out_with_the_missing_names(environment, tmp_path, capsys) -> None:
    environment(TTHC_TELEGRAM_TOKEN=ALL["TTHC_TELEGRAM_TOKEN"])
    assert write_credentials(tmp_path / "credentials.yml") == []
    warning = capsys.readouterr().err
    assert "TTHC_TELEGRAM_SECRET" in warning
    assert ALL["TTHC_TELEGRAM_TOKEN"] not in warning


def test_zalo_oa_runs_on_its_token_file_once_the_first_refresh_token_is_spent(environment, tmp_path) -> None:
    environment(TTHC_ZALO_OA_APP_ID="1", TTHC_ZALO_OA_SECRET="s")
    assert write_credentials(tmp_path / "credentials.yml") == []
    TokenFile(tmp_path / "tokens.json").save(TokenPair("a", "r"))
    assert write_credentials(tmp_path / "credentials.yml") == ["channels.zalo_oa.ZaloOAInput"]


def test_each_connector_answers_proactive_sends_under_its_own_name(environment, tmp_path) -> None:
    """Rasa's trigger_intent (dossier notifications) finds the output channel by the
    name the conversation's messages came in with."""
    environment(**ALL)
    path = tmp_path / "credentials.yml"
    write_credentials(path)
    for channel in create_http_input_channels(None, str(path))[1:]:
        output = channel.get_output_channel()
        assert output is not None and output.name() == channel.name()
