"""Secrets: generated once in development, required in production."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from settings import ROOT, get_settings, require_production_secrets, weak_secrets

STRONG = "x" * 32


@pytest.fixture
def secrets_dir(tmp_path, monkeypatch):
    for name in ("RASA_TOKEN", "ACTION_TOKEN", "WEBCHAT_KEY", "SECOND_FACTOR_KEY", "ENV", "PUSH_SECRETS"):
        monkeypatch.delenv(f"TTHC_{name}", raising=False)
    monkeypatch.setenv("TTHC_SECRETS_DIR", str(tmp_path / "secrets"))
    get_settings.cache_clear()
    yield tmp_path / "secrets"
    get_settings.cache_clear()


def test_development_generates_each_secret_once_readable_by_the_owner_only(secrets_dir):
    first = get_settings()
    get_settings.cache_clear()
    again = get_settings()
    assert first.rasa_token == again.rasa_token and len(first.rasa_token) >= 32
    assert len({first.rasa_token, first.action_token, first.webchat_key, first.second_factor_key}) == 4
    mode = stat.S_IMODE(os.stat(secrets_dir / "rasa_token").st_mode)
    assert mode == 0o600
    assert weak_secrets(first) == []


def test_secrets_never_appear_in_the_settings_repr(secrets_dir, monkeypatch):
    monkeypatch.setenv("TTHC_PUSH_SECRETS", f"province:{STRONG}")
    settings = get_settings()
    assert settings.rasa_token not in repr(settings)
    assert STRONG not in repr(settings)


def test_production_names_every_missing_or_weak_secret(secrets_dir, monkeypatch):
    monkeypatch.setenv("TTHC_ENV", "production")
    monkeypatch.setenv("TTHC_RASA_TOKEN", STRONG)
    monkeypatch.setenv("TTHC_ACTION_TOKEN", "short")
    monkeypatch.setenv("TTHC_SECOND_FACTOR_KEY", "dev-only-second-factor-key")
    monkeypatch.setenv("TTHC_PUSH_SECRETS", f"province-a:{STRONG},province-b:")
    with pytest.raises(SystemExit) as stopped:
        require_production_secrets()
    message = str(stopped.value)
    for variable in ("TTHC_ACTION_TOKEN", "TTHC_WEBCHAT_KEY", "TTHC_SECOND_FACTOR_KEY", "'province-b'"):
        assert variable in message
    assert "TTHC_RASA_TOKEN" not in message and "'province-a'" not in message
    assert not secrets_dir.exists()  # nothing is generated in production


def test_a_production_process_refuses_to_start_without_its_secrets(secrets_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_")}
    env |= {"PYTHONPATH": str(ROOT), "TTHC_ENV": "production", "TTHC_ACTION_PORT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "actions"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "TTHC_ACTION_TOKEN" in result.stderr
