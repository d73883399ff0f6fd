"""``python -m console``: the staff web service on TTHC_CONSOLE_PORT."""

import logging
import sys

import uvicorn

from console.app import create_app
from database import migrate
from settings import get_settings
from webapp import quiet_http_logs


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    quiet_http_logs()
    migrate()
    uvicorn.run(create_app(), host=get_settings().listen_host, port=get_settings().console_port, log_level="warning")


if __name__ == "__main__":
    main()
