"""``python -m console``: the staff web service on TTHC_CONSOLE_PORT."""

import logging
import sys

import uvicorn

from console.app import create_app
from database import migrate
from settings import get_settings

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
migrate()
uvicorn.run(create_app(), host="127.0.0.1", port=get_settings().console_port, log_level="warning")
