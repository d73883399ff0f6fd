"""``python -m channels.webchat``: serve the web chat on TTHC_WEBCHAT_PORT."""

import uvicorn

from channels.webchat.server import create_app
from settings import get_settings

uvicorn.run(create_app(), host="127.0.0.1", port=get_settings().webchat_port, log_level="warning")
