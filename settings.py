"""Configuration: read once from the environment, the one home for it.

Every process (Rasa engine, action server, web chat, console) reads its
settings here, so a value has one name and one default. Plain Python, because
both the engine (Python 3.10) and the app (3.11+) import it. Secrets are read
from the environment only and never logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    )
