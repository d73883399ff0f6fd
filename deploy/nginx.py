"""``python -m deploy.nginx DIR``: write the reverse proxy's config for this
machine's settings into ``DIR`` and print how to start it.

The template (``deploy/nginx.conf``) names the exposed paths; this fills in
the addresses so that the same file serves ``make run``, tests and production.
With ``--rasa`` given several times (``make run-prod``) it also writes the
loopback balancers of ``deploy/nginx.internal.conf`` in front of the Rasa and
action servers.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from settings import get_settings

TEMPLATE = Path(__file__).with_name("nginx.conf")
INTERNAL_TEMPLATE = Path(__file__).with_name("nginx.internal.conf")
# A server that refuses a connection is skipped for this long: its
# conversations go to the next server on the hash ring meanwhile.
SERVER_OPTIONS = "max_fails=1 fail_timeout=5s"


@dataclass(frozen=True)
class Upstreams:
    listen: str
    rasa: str
    webchat: str
    console: str

    @classmethod
    def from_settings(cls, listen: str = "8080") -> Upstreams:
        settings = get_settings()
        return cls(
            listen,
            _address(settings.rasa_url),
            f"127.0.0.1:{settings.webchat_port}",
            f"127.0.0.1:{settings.console_port}",
        )


@dataclass(frozen=True)
class Balancers:
    """The production topology: several Rasa and action servers behind loopback listeners."""

    rasa_listen: str  # where the web relay and the notifier call Rasa (TTHC_RASA_URL)
    rasa_servers: tuple[str, ...]
    actions_listen: str  # every Rasa server's action endpoint
    action_servers: tuple[str, ...]


def _address(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].replace("localhost", "127.0.0.1")


def _servers(addresses: tuple[str, ...]) -> str:
    return "".join(f"        server {address} {SERVER_OPTIONS};\n" for address in addresses)


def render(prefix: Path, upstreams: Upstreams, balancers: Balancers | None = None) -> str:
    """The config text, its working files under ``prefix``."""
    rasa_servers = balancers.rasa_servers if balancers else (upstreams.rasa,)
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "__PREFIX__": str(prefix),
        "__LISTEN__": upstreams.listen,
        "__RASA_SERVERS__": _servers(rasa_servers),
        "__WEBCHAT__": upstreams.webchat,
        "__CONSOLE__": upstreams.console,
    }.items():
        text = text.replace(name, value)
    return text


def render_internal(balancers: Balancers) -> str:
    text = INTERNAL_TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "__RASA_LISTEN__": balancers.rasa_listen,
        "__ACTIONS_LISTEN__": balancers.actions_listen,
        "__ACTIONS__": _servers(balancers.action_servers).replace("        ", "    "),
    }.items():
        text = text.replace(name, value)
    return text


def write(prefix: Path, upstreams: Upstreams, balancers: Balancers | None = None) -> Path:
    """Write ``nginx.conf`` (and, for several servers, ``internal/balancers.conf``)
    into ``prefix`` (created), returning the config's path."""
    prefix = prefix.resolve()
    internal = prefix / "internal"
    internal.mkdir(parents=True, exist_ok=True)
    for stale in internal.glob("*.conf"):
        stale.unlink()
    if balancers is not None:
        (internal / "balancers.conf").write_text(render_internal(balancers), encoding="utf-8")
    path = prefix / "nginx.conf"
    path.write_text(render(prefix, upstreams, balancers), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--listen", default="8080", help="address:port or port the proxy listens on")
    parser.add_argument("--rasa", action="append", default=[], help="a Rasa server's host:port (repeat: run-prod)")
    parser.add_argument("--actions", action="append", default=[], help="an action server's host:port (repeat)")
    parser.add_argument("--actions-listen", default="127.0.0.1:5055", help="the action servers' balancer")
    args = parser.parse_args()
    upstreams = Upstreams.from_settings(args.listen)
    balancers = None
    if args.rasa:
        if not args.actions:
            parser.error("--rasa needs --actions too: the balancers front both")
        balancers = Balancers(upstreams.rasa, tuple(args.rasa), args.actions_listen, tuple(args.actions))
    path = write(args.directory, upstreams, balancers)
    print(f"nginx -p {path.parent} -c {path} -g 'daemon off;'")


if __name__ == "__main__":
    main()
