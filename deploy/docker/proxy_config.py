"""``python -m deploy.docker.proxy_config DIR``: the reverse proxy's config for
the containers of ``deploy/docker/compose.yml``, written into ``DIR``.

The same template as ``make run`` and ``make run-prod`` (``deploy.nginx``),
with the compose file's service names instead of loopback ports: the public
listener on 8080, the web chat and the console, and the internal balancers
(conversation affinity) in front of the Rasa servers on 5005 and the action
server on 5055. Run by the compose file's ``setup`` service.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deploy.nginx import Balancers, Upstreams, write

RASA_SERVERS = ("rasa-1:5005", "rasa-2:5005")  # the compose file's engine services
ACTION_SERVERS = ("actions:5055",)


def container_upstreams() -> tuple[Upstreams, Balancers]:
    upstreams = Upstreams(listen="8080", rasa=RASA_SERVERS[0], webchat="webchat:8000", console="console:8010")
    balancers = Balancers(
        rasa_listen="5005", rasa_servers=RASA_SERVERS, actions_listen="5055", action_servers=ACTION_SERVERS
    )
    return upstreams, balancers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    print(write(args.directory, *container_upstreams()))


if __name__ == "__main__":
    main()
