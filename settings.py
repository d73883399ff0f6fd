"""Configuration: read once from the environment, the one home for it.

Every process (Rasa engine, action server, web chat, console) reads its
settings here, so a value has one name and one default. Plain Python, because
both the engine (Python 3.10) and the app (3.11+) import it. Secrets are read
from the environment only and never logged.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Values that were once shipped as examples: never accepted as a real secret.
PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "dev-only-second-factor-key", "e2e-push-secret"})
MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class Settings:
    database_url: str
    catalog_file: Path
    rasa_url: str
    action_server_port: int
    webchat_port: int
    # The address the action server, web chat and console bind: loopback, except
    # inside a container, whose own network the proxy reaches it on (deploy/docker/).
    listen_host: str
    portal_url: str
    hotline: str
    office_name: str
    office_hours: str
    province: str | None  # the assistant's province: its own procedures rank with the national ones
    environment: str  # "development" (secrets generated under var/secrets) or "production"
    # Rasa's HTTP API token and the action server's shared secret: generated on
    # the first run in development, required from the environment in production.
    rasa_token: str = field(repr=False)
    action_token: str = field(repr=False)
    webchat_key: str = field(repr=False)  # signs the web chat's conversation ids
    push_secrets: dict[str, str] = field(repr=False)  # source system -> HMAC secret of the push API
    push_replay_seconds: int
    second_factor_key: str = field(repr=False)
    # A dossier's second factor is limited per dossier, across all conversations:
    # after this many failures within the window only the office can unlock it.
    second_factor_max_failures: int
    second_factor_window_minutes: int
    lookups_per_hour: int  # dossier look-ups of one conversation
    # Per client address of the web relay (a commune office may share one address).
    webchat_messages_per_minute: int
    webchat_sessions_per_minute: int
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
    deliveries_db: Path  # platform deliveries already handled (SQLite, kept a day across restarts)
    zalo_oa_api_url: str  # base URLs are settings so that tests talk to 127.0.0.1
    zalo_oauth_url: str
    zalo_bot_token: str = field(repr=False)
    zalo_bot_secret: str = field(repr=False)
    zalo_bot_api_url: str
    telegram_token: str = field(repr=False)
    telegram_secret: str = field(repr=False)
    telegram_api_url: str
    # The production topology (make run-prod; bot/endpoints.production.yml).
    # Rasa's tracker store: a SQLAlchemy URL in the app's form; the engine uses
    # the same database with its own driver (engine/tracker_store.py).
    tracker_database_url: str
    action_url: str  # Rasa's action endpoint (run-prod: the balancer in front of the action servers)
    # Redis: Rasa's lock store and what the connectors keep (deliveries seen,
    # numbered options, long Telegram ids). None: SQLite and process memory.
    redis_url: str | None = field(repr=False)  # may carry a password
    rasa_servers: int  # run-prod: Rasa servers behind the proxy
    action_servers: int  # run-prod: action servers behind the proxy
    proxy_listen: str  # run-prod: the public listener of the reverse proxy
    retention_days: int  # conversations and unanswered questions older than this are deleted


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        database_url=env.get("TTHC_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'app.db'}"),
        catalog_file=Path(env.get("TTHC_CATALOG", ROOT / "knowledge" / "catalog.yaml")),
        rasa_url=env.get("TTHC_RASA_URL", "http://localhost:5005").rstrip("/"),
        action_server_port=int(env.get("TTHC_ACTION_PORT", "5055")),
        webchat_port=int(env.get("TTHC_WEBCHAT_PORT", "8000")),
        listen_host=env.get("TTHC_LISTEN_HOST", "127.0.0.1"),
        portal_url=env.get("TTHC_PORTAL_URL", "https://dichvucong.gov.vn"),
        hotline=env.get("TTHC_HOTLINE", "1800 1096"),
        office_name=env.get("TTHC_OFFICE_NAME", "Trung tâm phục vụ hành chính công xã, phường nơi anh/chị cư trú"),
        office_hours=env.get(
            "TTHC_OFFICE_HOURS", "giờ hành chính, từ thứ Hai đến thứ Sáu (một số nơi làm cả sáng thứ Bảy)"
        ),
        environment=env.get("TTHC_ENV", "development"),
        province=env.get("TTHC_PROVINCE") or None,
        rasa_token=_secret(env, "rasa_token"),
        action_token=_secret(env, "action_token"),
        webchat_key=_secret(env, "webchat_key"),
        push_secrets=_pairs(env.get("TTHC_PUSH_SECRETS", "")),
        push_replay_seconds=int(env.get("TTHC_PUSH_REPLAY_SECONDS", "300")),
        second_factor_key=_secret(env, "second_factor_key"),
        second_factor_max_failures=int(env.get("TTHC_SECOND_FACTOR_MAX_FAILURES", "5")),
        second_factor_window_minutes=int(env.get("TTHC_SECOND_FACTOR_WINDOW_MINUTES", "60")),
        lookups_per_hour=int(env.get("TTHC_LOOKUPS_PER_HOUR", "30")),
        webchat_messages_per_minute=int(env.get("TTHC_WEBCHAT_MESSAGES_PER_MINUTE", "60")),
        webchat_sessions_per_minute=int(env.get("TTHC_WEBCHAT_SESSIONS_PER_MINUTE", "10")),
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
        deliveries_db=Path(env.get("TTHC_DELIVERIES_DB", ROOT / "var" / "deliveries.db")),
        zalo_oa_api_url=env.get("TTHC_ZALO_OA_API_URL", "https://openapi.zalo.me").rstrip("/"),
        zalo_oauth_url=env.get("TTHC_ZALO_OAUTH_URL", "https://oauth.zaloapp.com").rstrip("/"),
        zalo_bot_token=env.get("TTHC_ZALO_BOT_TOKEN", "").strip(),
        zalo_bot_secret=env.get("TTHC_ZALO_BOT_SECRET", "").strip(),
        zalo_bot_api_url=env.get("TTHC_ZALO_BOT_API_URL", "https://bot-api.zaloplatforms.com").rstrip("/"),
        telegram_token=env.get("TTHC_TELEGRAM_TOKEN", "").strip(),
        telegram_secret=env.get("TTHC_TELEGRAM_SECRET", "").strip(),
        telegram_api_url=env.get("TTHC_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        tracker_database_url=env.get("TTHC_TRACKER_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}"),
        action_url=env.get("TTHC_ACTION_URL", f"http://127.0.0.1:{int(env.get('TTHC_ACTION_PORT', '5055'))}/webhook"),
        redis_url=env.get("TTHC_REDIS_URL", "").strip() or None,
        rasa_servers=int(env.get("TTHC_RASA_SERVERS", "0")) or os.cpu_count() or 1,
        action_servers=int(env.get("TTHC_ACTION_SERVERS", "1")),
        proxy_listen=env.get("TTHC_PROXY_LISTEN", "127.0.0.1:8080"),
        retention_days=int(env.get("TTHC_RETENTION_DAYS", "180")),
    )


def _secret(env: Mapping[str, str], name: str) -> str:
    """``TTHC_<NAME>`` from the environment; in development, a random value kept
    in ``var/secrets/<name>`` (made on first use, readable by the owner only);
    in production, empty when unset, which ``require_production_secrets`` refuses."""
    value = env.get(f"TTHC_{name.upper()}", "").strip()
    if value or env.get("TTHC_ENV", "development") == "production":
        return value
    return _local_secret(Path(env.get("TTHC_SECRETS_DIR", ROOT / "var" / "secrets")) / name)


def _local_secret(path: Path) -> str:
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    draft.chmod(0o600)
    try:
        os.link(draft, path)  # atomic: when processes start together, the first one wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="utf-8").strip()


SECRET_VARIABLES = {
    "rasa_token": "TTHC_RASA_TOKEN",
    "action_token": "TTHC_ACTION_TOKEN",
    "webchat_key": "TTHC_WEBCHAT_KEY",
    "second_factor_key": "TTHC_SECOND_FACTOR_KEY",
}


def weak_secrets(settings: Settings) -> list[str]:
    """What is missing or weak, each as the variable to set and why."""
    problems = [
        f"{variable}: set a random value of at least {MIN_SECRET_CHARS} characters"
        for name, variable in SECRET_VARIABLES.items()
        if _weak(getattr(settings, name))
    ]
    problems += [
        f"TTHC_PUSH_SECRETS: the secret of source {source!r} is empty or weak"
        for source, secret in settings.push_secrets.items()
        if _weak(secret)
    ]
    return problems


def _weak(value: str) -> bool:
    return len(value) < MIN_SECRET_CHARS or value.lower() in PLACEHOLDERS


def require_production_secrets(settings: Settings | None = None) -> None:
    """Stop a production process that would run with a missing or placeholder secret."""
    settings = settings or get_settings()
    if settings.environment != "production":
        return
    problems = weak_secrets(settings)
    if problems:
        raise SystemExit("Refusing to start in production (TTHC_ENV=production):\n  " + "\n  ".join(problems))


def _pairs(text: str) -> dict[str, str]:
    """ "a:x,b:y" -> {"a": "x", "b": "y"} (secrets never appear in logs)."""
    return dict(item.split(":", 1) for item in text.split(",") if ":" in item)
