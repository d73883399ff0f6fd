"""``python -m deploy.production prepare DIR``: the production topology's plan
for ``scripts/run-prod``.

It checks that PostgreSQL (the app database and Rasa's tracker store) and
Redis answer, creating an absent PostgreSQL database, writes the proxy's
config (``deploy.nginx`` with its balancers) into ``DIR``, and prints the
ports as shell assignments. Ports follow from settings: the i-th Rasa server
listens on ``TTHC_RASA_URL``'s port + 100 + i, where the proxy's balancer
listens; the action servers likewise from ``TTHC_ACTION_URL``'s port.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from deploy.nginx import Balancers, Upstreams, write
from settings import Settings, get_settings

PORT_OFFSET = 100


@dataclass(frozen=True)
class Plan:
    rasa_ports: tuple[int, ...]
    action_ports: tuple[int, ...]
    balancers: Balancers


def plan(settings: Settings) -> Plan:
    rasa = urlsplit(settings.rasa_url)
    actions = urlsplit(settings.action_url)
    rasa_port, action_port = rasa.port or 80, actions.port or 80
    rasa_ports = tuple(rasa_port + PORT_OFFSET + i for i in range(1, settings.rasa_servers + 1))
    action_ports = tuple(action_port + PORT_OFFSET + i for i in range(1, settings.action_servers + 1))
    ports = [rasa_port, action_port, *rasa_ports, *action_ports]
    taken = sorted({port for port in ports if ports.count(port) > 1})
    if taken:
        # Otherwise two servers would race for one port and one would exit at start.
        raise SystemExit(
            f"TTHC_RASA_URL's and TTHC_ACTION_URL's ports are too close for {settings.rasa_servers} Rasa and "
            f"{settings.action_servers} action servers (two would listen on each of {taken}): move them further apart"
        )
    return Plan(
        rasa_ports,
        action_ports,
        Balancers(
            rasa_listen=f"127.0.0.1:{rasa_port}",
            rasa_servers=tuple(f"127.0.0.1:{port}" for port in rasa_ports),
            actions_listen=f"127.0.0.1:{action_port}",
            action_servers=tuple(f"127.0.0.1:{port}" for port in action_ports),
        ),
    )


def ensure_database(url: str) -> None:
    """Connect to a PostgreSQL database, creating it when it is absent (SQLite needs nothing)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    engine = create_engine(url)
    try:
        engine.connect().close()
        return
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise SystemExit(
                f"PostgreSQL at {parsed.host}:{parsed.port or 5432} does not answer: start it (README)"
            ) from exc
    finally:
        engine.dispose()
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def redis_answers(url: str, timeout: float = 3.0) -> bool:
    """Redis says PONG (or asks for the password it will be given)."""
    parsed = urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 6379), timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def prepare(directory: Path, settings: Settings) -> Plan:
    if not settings.redis_url or not redis_answers(settings.redis_url):
        raise SystemExit(
            f"Redis does not answer at TTHC_REDIS_URL ({settings.redis_url or 'not set'}): start it (README)"
        )
    for url in dict.fromkeys((settings.database_url, settings.tracker_database_url)):
        ensure_database(url)
    the_plan = plan(settings)
    upstreams = Upstreams(
        settings.proxy_listen,
        the_plan.balancers.rasa_listen,
        f"127.0.0.1:{settings.webchat_port}",
        f"127.0.0.1:{settings.console_port}",
    )
    write(directory, upstreams, the_plan.balancers)
    return the_plan


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.production", description=__doc__)
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("directory", type=Path, help="where the proxy's config is written")
    args = parser.parse_args()
    settings = get_settings()
    the_plan = prepare(args.directory, settings)
    print(f"RASA_PORTS=({' '.join(map(str, the_plan.rasa_ports))})")
    print(f"ACTION_PORTS=({' '.join(map(str, the_plan.action_ports))})")
    print(f"ACTION_URL={shlex.quote(settings.action_url)}")
    print(f"PROXY_LISTEN={shlex.quote(settings.proxy_listen)}")
    print(f"NGINX_CONF={shlex.quote(str((args.directory / 'nginx.conf').resolve()))}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
