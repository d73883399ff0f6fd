"""``deploy.production``: the ports of ``make run-prod`` follow from settings,
the proxy's config it writes is one nginx accepts, and a service that does
not answer is named before anything starts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, text

from deploy.production import ensure_database, plan, prepare, redis_answers
from settings import get_settings
from tests.conftest import POSTGRES_URL


@pytest.fixture
def production_env(monkeypatch):
    for name, value in {
        "TTHC_RASA_URL": "http://127.0.0.1:5005",
        "TTHC_ACTION_URL": "http://127.0.0.1:5055/webhook",
        "TTHC_RASA_SERVERS": "3",
        "TTHC_ACTION_SERVERS": "2",
        "TTHC_REDIS_URL": "redis://127.0.0.1:6379/1",
        "TTHC_PROXY_LISTEN": "127.0.0.1:8080",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_ports_follow_from_the_balancers_addresses(production_env):
    the_plan = plan(production_env)
    assert the_plan.rasa_ports == (5106, 5107, 5108)
    assert the_plan.action_ports == (5156, 5157)
    assert the_plan.balancers.rasa_listen == "127.0.0.1:5005"
    assert the_plan.balancers.actions_listen == "127.0.0.1:5055"


def test_servers_that_would_share_a_port_are_refused_before_anything_starts(production_env, monkeypatch):
    monkeypatch.setenv("TTHC_ACTION_URL", "http://127.0.0.1:5006/webhook")  # 3 Rasa servers: 5106-5108
    get_settings.cache_clear()
    with pytest.raises(SystemExit, match=r"too close .* \[5107, 5108\]"):
        plan(get_settings())


def test_the_written_config_is_one_nginx_accepts(production_env, tmp_path, monkeypatch):
    monkeypatch.setenv("TTHC_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("TTHC_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    get_settings.cache_clear()
    prepare(tmp_path / "nginx", get_settings())
    balancers = (tmp_path / "nginx" / "internal" / "balancers.conf").read_text()
    assert "server 127.0.0.1:5156" in balancers and "server 127.0.0.1:5157" in balancers
    config = tmp_path / "nginx" / "nginx.conf"
    assert config.read_text().count("server 127.0.0.1:510") == 3
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-t", "-p", str(config.parent), "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_a_service_that_does_not_answer_is_named(production_env, tmp_path, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert redis_answers("redis://127.0.0.1:6379/1")
    assert not redis_answers(f"redis://127.0.0.1:{port}/1")
    monkeypatch.setenv("TTHC_REDIS_URL", f"redis://127.0.0.1:{port}/1")
    get_settings.cache_clear()
    with pytest.raises(SystemExit, match="TTHC_REDIS_URL"):
        prepare(tmp_path, get_settings())
    with pytest.raises(SystemExit, match="PostgreSQL"):
        ensure_database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/tthc")


def test_an_absent_postgresql_database_is_created():
    name = f"tthc_test_{uuid.uuid4().hex[:8]}"
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    ensure_database(url)
    try:
        ensure_database(url)  # present now: nothing to do
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_database()")).scalar() == name
        engine.dispose()
    finally:
        admin = create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()
