"""``engine.serve``: Rasa gets its API token inside the process, never from the command line."""

import pytest

from engine.serve import rasa_arguments
from settings import ROOT


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

    for name in ("ACTION_URL", "TRACKER_DB_HOST", "TRACKER_DB_NAME", "TRACKER_DB_USER", "TRACKER_DB_PASSWORD"):
        monkeypatch.setenv(f"TTHC_{name}", "x")
    for name in ("TRACKER_DB_PORT", "REDIS_PORT"):
        monkeypatch.setenv(f"TTHC_{name}", "1")
    monkeypatch.setenv("TTHC_REDIS_HOST", "x")
    monkeypatch.setenv("TTHC_ACTION_TOKEN", "t" * 32)
    endpoints = read_endpoints_from_path(ROOT / path)
    assert endpoints.action.headers == {"X-Action-Token": "t" * 32}
    assert endpoints.tracker_store.type == "engine.tracker_store.PrivateSQLTrackerStore"
