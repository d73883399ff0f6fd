"""The catalog of ids (``../shared/catalog.yaml``, outside the repository on
purpose: it is the contract that cards, links and measurements share)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from settings import get_settings


@dataclass(frozen=True)
class Catalog:
    procedures: dict[str, str]  # id -> official name
    life_events: dict[str, str]
    intents: tuple[str, ...]


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    path = get_settings().catalog_file
    if not path.is_file():
        raise FileNotFoundError(f"The catalog of ids is not at {path}: set TTHC_CATALOG to its path.")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Catalog(
        procedures={pid: entry["name"] for pid, entry in raw["procedures"].items()},
        life_events=dict(raw["life_events"]),
        intents=tuple(raw["intents"]),
    )
