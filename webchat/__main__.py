"""``python -m webchat``: serve the web chat on TTHC_WEBCHAT_PORT.

Behind a reverse proxy on this machine, uvicorn takes the client's address
from ``X-Forwarded-For`` (it trusts 127.0.0.1 only), so the rate limits count
citizens, not the proxy.
"""

import logging
import sys

import uvicorn

from settings import get_settings, require_production_secrets
from webapp import quiet_http_logs
from webchat.server import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    quiet_http_logs()
    settings = get_settings()
    require_production_secrets(settings)
    uvicorn.run(create_app(), host=settings.listen_host, port=settings.webchat_port, log_level="warning")


if __name__ == "__main__":
    main()
