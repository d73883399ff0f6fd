"""Writes the Rasa credentials file: ``rest`` plus each configured platform.

``python -m channels.credentials [PATH]`` (default ``var/credentials.yml``),
run before ``rasa run --credentials PATH``. A platform's connector is listed
only when its environment variables are set, so with none set only the web
chat (Rasa's REST channel) runs. The file names the connectors and holds no
secret: the connectors read their secrets from the environment through
``settings``. A platform set up halfway is left out with a warning naming the
missing variables (never their values).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from settings import ROOT, Settings, get_settings

DEFAULT_PATH = ROOT / "var" / "credentials.yml"


@dataclass(frozen=True)
class Connector:
    path: str  # the class Rasa loads (module path)
    needs: dict[str, str]  # environment variable -> the setting it fills


CONNECTORS = (
    Connector(
        "channels.zalo_oa.ZaloOAInput",
        {
            "TTHC_ZALO_OA_APP_ID": "zalo_oa_app_id",
            "TTHC_ZALO_OA_SECRET": "zalo_oa_secret",
            "TTHC_ZALO_OA_REFRESH_TOKEN": "zalo_oa_refresh_token",
        },
    ),
    Connector(
        "channels.zalo_bot.ZaloBotInput",
        {"TTHC_ZALO_BOT_TOKEN": "zalo_bot_token", "TTHC_ZALO_BOT_SECRET": "zalo_bot_secret"},
    ),
    Connector(
        "channels.telegram.TelegramInput",
        {"TTHC_TELEGRAM_TOKEN": "telegram_token", "TTHC_TELEGRAM_SECRET": "telegram_secret"},
    ),
)


def missing(connector: Connector, settings: Settings) -> list[str]:
    """The variables ``connector`` still needs (empty: it can run)."""
    absent = [name for name, field in connector.needs.items() if not getattr(settings, field)]
    if connector.path.startswith("channels.zalo_oa.") and settings.zalo_oa_token_file.exists():
        # The token file holds the rotated pair: the first refresh token is no longer needed.
        absent = [name for name in absent if name != "TTHC_ZALO_OA_REFRESH_TOKEN"]
    return absent


def credentials_yaml(settings: Settings) -> tuple[str, list[str], dict[str, list[str]]]:
    """The file's text, the connectors it enables, and the half-configured ones."""
    enabled: list[str] = []
    partial: dict[str, list[str]] = {}
    for connector in CONNECTORS:
        lacking = missing(connector, settings)
        if not lacking:
            enabled.append(connector.path)
        elif len(lacking) < len(connector.needs):
            partial[connector.path] = lacking
    lines = [
        "# Written by `python -m channels.credentials` from the TTHC_* environment: do not edit.",
        "# The web chat's REST channel, and each platform whose credentials are set.",
        "# No secrets here: the connectors read them from the environment (settings.py).",
        "rest:",
        *(f"{path}:" for path in enabled),
    ]
    return "\n".join(lines) + "\n", enabled, partial


def write_credentials(path: Path = DEFAULT_PATH, settings: Settings | None = None) -> list[str]:
    """Write the file atomically; returns the connectors it enables."""
    text, enabled, partial = credentials_yaml(settings or get_settings())
    for connector, lacking in partial.items():
        print(f"{connector} left out: set {', '.join(lacking)}", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)
    return enabled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    enabled = write_credentials(args.path)
    names = ", ".join(p.split(".")[1] for p in enabled) or "none"
    print(f"{args.path}: web chat, and platform connectors: {names}", file=sys.stderr)


if __name__ == "__main__":
    main()
