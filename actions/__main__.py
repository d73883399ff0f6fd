"""``python -m actions``: the action server on 127.0.0.1:TTHC_ACTION_PORT."""

import logging
import sys

from actions.server import create_server
from settings import get_settings, require_production_secrets


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    settings = get_settings()
    require_production_secrets(settings)
    server = create_server(settings.action_token)
    server.run(
        host=settings.listen_host, port=settings.action_server_port, single_process=True, access_log=False, motd=False
    )


# rasa-sdk imports every module of the package, this one too: only run when started.
if __name__ == "__main__":
    main()
