"""The catalog of ids (``knowledge/catalog.yaml``): the contract that cards,
deep links, analytics and measurements share. It is the project's own data,
kept in the repository so that a clone runs by itself."""

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
        raise FileNotFoundError(f"The catalog of ids is not at {path}: restore it or set TTHC_CATALOG.")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Catalog(
        procedures={pid: entry["name"] for pid, entry in raw["procedures"].items()},
        life_events=dict(raw["life_events"]),
        intents=tuple(raw["intents"]),
    )
