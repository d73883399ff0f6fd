"""``python -m deploy.nginx DIR``: write the reverse proxy's config for this
machine's settings into ``DIR`` and print how to start it.

The template (``deploy/nginx.conf``) names the exposed paths; this fills in
the addresses so that the same file serves ``make run``, tests and production.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from settings import get_settings

TEMPLATE = Path(__file__).with_name("nginx.conf")


@dataclass(frozen=True)
class Upstreams:
    listen: str
    rasa: str
    webchat: str
    console: str

    @classmethod
    def from_settings(cls, listen: str = "8080") -> Upstreams:
        settings = get_settings()
        rasa = settings.rasa_url.split("://", 1)[-1].replace("localhost", "127.0.0.1")
        return cls(listen, rasa, f"127.0.0.1:{settings.webchat_port}", f"127.0.0.1:{settings.console_port}")


def render(prefix: Path, upstreams: Upstreams) -> str:
    """The config text, its working files under ``prefix``."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "__PREFIX__": str(prefix),
        "__LISTEN__": upstreams.listen,
        "__RASA__": upstreams.rasa,
        "__WEBCHAT__": upstreams.webchat,
        "__CONSOLE__": upstreams.console,
    }.items():
        text = text.replace(name, value)
    return text


def write(prefix: Path, upstreams: Upstreams) -> Path:
    """Write ``nginx.conf`` into ``prefix`` (created), returning its path."""
    prefix = prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(render(prefix, upstreams), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx", description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--listen", default="8080", help="address:port or port the proxy listens on")
    args = parser.parse_args()
    path = write(args.directory, Upstreams.from_settings(args.listen))
    print(f"nginx -p {path.parent} -c {path} -g 'daemon off;'")


if __name__ == "__main__":
    main()
