"""``python -m engine.serve <rasa run options>``: ``rasa run`` with its secrets.

Rasa takes its API token only as ``--auth-token`` on the command line, where
``ps`` shows it to every user of the machine. This wrapper adds the token to
``sys.argv`` inside the process (``/proc/<pid>/cmdline`` keeps the original
arguments) and exports what the endpoints files name as ``${...}``: the
action server's shared secret and, for ``bot/endpoints.production.yml``, the
action URL, the tracker database and Redis's address (Rasa's lock store takes
host, port and db apart). All come from ``settings``: the environment, or
files generated on the first run in development. It also installs
``engine.action_validation`` (Rasa's response check, made cheap),
``engine.event_types`` (stored events turned back into objects by a table),
``engine.feature_combination`` (the featurizers' outputs side by side without
SciPy's block stacking) and ``engine.graph_runner`` (the prediction graph
without dask's per-call scheduling).
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from settings import Settings, get_settings, require_production_secrets


def rasa_arguments(options: list[str], token: str) -> list[str]:
    """The argument vector for Rasa: ``run``, the given options, the API token."""
    if any(option == "--auth-token" or option.startswith("--auth-token=") for option in options):
        raise SystemExit("Do not pass --auth-token: set TTHC_RASA_TOKEN (it would show in ps).")
    return ["rasa", "run", *options, "--auth-token", token]


def endpoint_variables(settings: Settings) -> dict[str, str]:
    """The values the endpoints files name as ``${VARIABLE}``."""
    variables = {
        "TTHC_ACTION_TOKEN": settings.action_token,
        "TTHC_ACTION_URL": settings.action_url,
        "TTHC_TRACKER_DATABASE_URL": settings.tracker_database_url,
    }
    if settings.redis_url:
        redis = urlsplit(settings.redis_url)
        variables |= {
            "TTHC_REDIS_HOST": redis.hostname or "localhost",
            "TTHC_REDIS_PORT": str(redis.port or 6379),
            "TTHC_REDIS_DB": redis.path.strip("/") or "0",
            "TTHC_REDIS_PASSWORD": redis.password or "",
        }
    return variables


def main() -> None:
    settings = get_settings()
    require_production_secrets(settings)
    os.environ.update(endpoint_variables(settings))
    sys.argv = rasa_arguments(sys.argv[1:], settings.rasa_token)
    from rasa.__main__ import main as rasa_main

    from engine import action_validation, event_types, feature_combination, graph_runner

    action_validation.install()
    event_types.install()
    feature_combination.install()
    graph_runner.install()

    rasa_main()


if __name__ == "__main__":
    main()
