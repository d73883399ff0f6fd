"""``engine.serve``: Rasa gets its API token inside the process, never from the command line."""

import pytest

from engine.serve import endpoint_variables, rasa_arguments
from settings import ROOT, get_settings


def test_the_token_is_added_inside_the_process():
    assert rasa_arguments(["--enable-api", "--port", "5005"], "t" * 32) == [
        "rasa", "run", "--enable-api", "--port", "5005", "--auth-token", "t" * 32,
    ]  # fmt: skip


@pytest.mark.parametrize("option", [["--auth-token", "visible"], ["--auth-token=visible"]])
def test_a_token_on_the_command_line_is_refused(option):
    with pytest.raises(SystemExit, match="TTHC_RASA_TOKEN"):
        rasa_arguments(["--enable-api", *option], "t" * 32)


@pytest.mark.parametrize("path", ["bot/endpoints.yml", "bot/endpoints.production.yml"])
def test_the_endpoints_files_send_the_action_token_from_the_environment(path, monkeypatch):
    """A quoted "${VAR}" is not expanded by Rasa's YAML reader: the header would
    carry the literal text and every action call would be refused."""
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("TTHC_ACTION_TOKEN", "t" * 32)
    monkeypatch.setenv("TTHC_REDIS_URL", "redis://:pw@127.0.0.1:6380/2")
    get_settings.cache_clear()
    for name, value in endpoint_variables(get_settings()).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    endpoints = read_endpoints_from_path(ROOT / path)
    assert endpoints.action.headers == {"X-Action-Token": "t" * 32}
    assert endpoints.tracker_store.type == "engine.tracker_store.PrivateSQLTrackerStore"


def test_the_production_endpoints_take_every_address_from_settings(monkeypatch):
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("TTHC_REDIS_URL", "redis://:pw@127.0.0.1:6380/2")
    monkeypatch.setenv("TTHC_TRACKER_DATABASE_URL", "postgresql+psycopg://rasa@db.internal:5433/tracker")
    monkeypatch.setenv("TTHC_ACTION_URL", "http://127.0.0.1:5055/webhook")
    get_settings.cache_clear()
    for name, value in endpoint_variables(get_settings()).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    endpoints = read_endpoints_from_path(ROOT / "bot/endpoints.production.yml")
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.tracker_store.kwargs["database_url"] == "postgresql+psycopg://rasa@db.internal:5433/tracker"
    lock = endpoints.lock_store
    assert (lock.url, str(lock.kwargs["port"]), str(lock.kwargs["db"]), lock.kwargs["password"]) == (
        "127.0.0.1", "6380", "2", "pw",
    )  # fmt: skip


def test_the_tracker_url_becomes_rasas_options_with_the_engines_driver():
    from engine.tracker_store import sql_options

    options = sql_options("postgresql+psycopg://rasa:pw@db:5433/tracker?options=-csearch_path%3Ds")
    assert options == {
        "dialect": "postgresql", "host": "db", "port": 5433, "db": "tracker", "username": "rasa",
        "password": "pw", "query": {"options": "-csearch_path=s"},
    }  # fmt: skip
