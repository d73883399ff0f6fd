"""Configuration: read once from the environment, the one home for it.

Every process (Rasa engine, action server, web chat, console) reads its
settings here, so a value has one name and one default. Plain Python, because
both the engine (Python 3.10) and the app (3.11+) import it. Secrets are read
from the environment only and never logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    catalog_file: Path
    rasa_url: str
    action_server_port: int
    webchat_port: int
    portal_url: str
    hotline: str
    office_name: str
    office_hours: str
    rasa_token: str | None
    push_secrets: dict[str, str]  # source system -> HMAC secret of the push API
    push_replay_seconds: int
    second_factor_key: str
    second_factor_max_failures: int
    second_factor_lock_minutes: int
    dossier_source: str  # "local" (the mirror) or "http" (a province's look-up API)
    dossier_http_config: Path
    console_port: int
    notify_windows_hours: dict[str, int]  # channel -> hours after the citizen's last message
    public_web_url: str  # where citizens open the web chat (links and QR posters)
    telegram_bot_username: str | None
    zalo_oa_id: str | None
    # Messaging connectors (channels/): each runs only when its credentials are
    # set. Secrets stay out of repr(), so a logged Settings leaks none of them.
    zalo_oa_app_id: str
    zalo_oa_secret: str = field(repr=False)  # OA secret key: webhook signatures
    zalo_oa_app_secret: str = field(repr=False)  # app secret key: token refresh
    zalo_oa_access_token: str = field(repr=False)  # first pair only: the token file wins once written
    zalo_oa_refresh_token: str = field(repr=False)
    zalo_oa_token_file: Path
    zalo_oa_api_url: str  # base URLs are settings so that tests talk to 127.0.0.1
    zalo_oauth_url: str
    zalo_bot_token: str = field(repr=False)
    zalo_bot_secret: str = field(repr=False)
    zalo_bot_api_url: str
    telegram_token: str = field(repr=False)
    telegram_secret: str = field(repr=False)
    telegram_api_url: str


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        database_url=env.get("TTHC_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'app.db'}"),
        catalog_file=Path(env.get("TTHC_CATALOG", ROOT.parent / "shared" / "catalog.yaml")),
        rasa_url=env.get("TTHC_RASA_URL", "http://localhost:5005").rstrip("/"),
        action_server_port=int(env.get("TTHC_ACTION_PORT", "5055")),
        webchat_port=int(env.get("TTHC_WEBCHAT_PORT", "8000")),
        portal_url=env.get("TTHC_PORTAL_URL", "https://dichvucong.gov.vn"),
        hotline=env.get("TTHC_HOTLINE", "1800 1096"),
        office_name=env.get("TTHC_OFFICE_NAME", "Trung tâm phục vụ hành chính công xã, phường nơi anh/chị cư trú"),
        office_hours=env.get(
            "TTHC_OFFICE_HOURS", "giờ hành chính, từ thứ Hai đến thứ Sáu (một số nơi làm cả sáng thứ Bảy)"
        ),
        rasa_token=env.get("TTHC_RASA_TOKEN") or None,
        push_secrets=_pairs(env.get("TTHC_PUSH_SECRETS", "")),
        push_replay_seconds=int(env.get("TTHC_PUSH_REPLAY_SECONDS", "300")),
        second_factor_key=env.get("TTHC_SECOND_FACTOR_KEY", "dev-only-second-factor-key"),
        second_factor_max_failures=int(env.get("TTHC_SECOND_FACTOR_MAX_FAILURES", "3")),
        second_factor_lock_minutes=int(env.get("TTHC_SECOND_FACTOR_LOCK_MINUTES", "15")),
        dossier_source=env.get("TTHC_DOSSIER_SOURCE", "local"),
        dossier_http_config=Path(env.get("TTHC_DOSSIER_HTTP_CONFIG", ROOT / "dossiers" / "http_source.example.yml")),
        console_port=int(env.get("TTHC_CONSOLE_PORT", "8010")),
        # Zalo OA delivers consultation messages only within a window after the
        # citizen's last message; other channels have none.
        notify_windows_hours={k: int(v) for k, v in _pairs(env.get("TTHC_NOTIFY_WINDOWS", "zalo_oa:168")).items()},
        public_web_url=env.get("TTHC_PUBLIC_WEB_URL", "http://localhost:8000").rstrip("/"),
        telegram_bot_username=env.get("TTHC_TELEGRAM_BOT_USERNAME") or None,
        zalo_oa_id=env.get("TTHC_ZALO_OA_ID") or None,
        zalo_oa_app_id=env.get("TTHC_ZALO_OA_APP_ID", "").strip(),
        zalo_oa_secret=env.get("TTHC_ZALO_OA_SECRET", "").strip(),
        # Zalo shows two keys: the OA secret key (webhook signatures) and the app
        # secret key (OAuth). Set TTHC_ZALO_OA_APP_SECRET only when they differ.
        zalo_oa_app_secret=(env.get("TTHC_ZALO_OA_APP_SECRET") or env.get("TTHC_ZALO_OA_SECRET", "")).strip(),
        zalo_oa_access_token=env.get("TTHC_ZALO_OA_ACCESS_TOKEN", "").strip(),
        zalo_oa_refresh_token=env.get("TTHC_ZALO_OA_REFRESH_TOKEN", "").strip(),
        zalo_oa_token_file=Path(env.get("TTHC_ZALO_OA_TOKEN_FILE", ROOT / "var" / "zalo_oa_tokens.json")),
        zalo_oa_api_url=env.get("TTHC_ZALO_OA_API_URL", "https://openapi.zalo.me").rstrip("/"),
        zalo_oauth_url=env.get("TTHC_ZALO_OAUTH_URL", "https://oauth.zaloapp.com").rstrip("/"),
        zalo_bot_token=env.get("TTHC_ZALO_BOT_TOKEN", "").strip(),
        zalo_bot_secret=env.get("TTHC_ZALO_BOT_SECRET", "").strip(),
        zalo_bot_api_url=env.get("TTHC_ZALO_BOT_API_URL", "https://bot-api.zaloplatforms.com").rstrip("/"),
        telegram_token=env.get("TTHC_TELEGRAM_TOKEN", "").strip(),
        telegram_secret=env.get("TTHC_TELEGRAM_SECRET", "").strip(),
        telegram_api_url=env.get("TTHC_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
    )


def _pairs(text: str) -> dict[str, str]:
    """ "a:x,b:y" -> {"a": "x", "b": "y"} (secrets never appear in logs)."""
    return dict(item.split(":", 1) for item in text.split(",") if ":" in item)
