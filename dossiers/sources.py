"""Where a dossier's status is looked up: the local mirror, or a province's
look-up API over HTTP (timeouts, retries with jittered back-off and a circuit
breaker from ``retry``, and the remote fields and statuses mapped in
configuration).

One source serves the whole process (``get_source``): a circuit breaker that
is rebuilt for every message never sees enough failures to open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import yaml

from dossiers import store
from dossiers.events import second_factor_hash
from dossiers.statuses import STATUSES
from dossiers.store import DossierView
from retry import Backoff, CircuitBreaker, GaveUp, Transient, with_retries
from settings import Settings, get_settings

logger = logging.getLogger(__name__)


class SourceUnavailable(Exception):
    """The source cannot answer now (slow, down, or talking nonsense)."""


class DossierSource(Protocol):
    async def lookup(self, code: str) -> DossierView | None: ...


class LocalSource:
    """The mirror fed by the push API and CSV imports."""

    async def lookup(self, code: str) -> DossierView | None:
        return await asyncio.to_thread(store.lookup, code)


@dataclass(frozen=True)
class HttpSourceConfig:
    base_url: str
    path: str = "/dossiers/{code}"
    timeout_seconds: float = 5.0
    retries: int = 2
    backoff_seconds: float = 0.5
    breaker_threshold: int = 3
    breaker_reset_seconds: float = 30.0
    # our field -> remote field; the second factor comes from ``applicant_phone_last4``
    # (the last 4 digits) or ``applicant_phone`` (the whole number)
    fields: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # remote status -> ours

    @classmethod
    def from_file(cls, path: Path) -> HttpSourceConfig:
        return cls(**yaml.safe_load(path.read_text(encoding="utf-8")))


class HttpSource:
    def __init__(self, config: HttpSourceConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.breaker = CircuitBreaker(config.breaker_threshold, config.breaker_reset_seconds)
        # No cap: ``retries`` bounds the wait; each delay is half to all of its ceiling.
        self._backoff = Backoff(attempts=config.retries + 1, base=config.backoff_seconds, cap=math.inf, jitter=0.5)
        self._client = client or httpx.AsyncClient(timeout=config.timeout_seconds)

    async def lookup(self, code: str) -> DossierView | None:
        if not self.breaker.allow():
            raise SourceUnavailable("circuit open")
        url = self.config.base_url.rstrip("/") + self.config.path.format(code=quote(code, safe=""))
        try:
            view = await with_retries(lambda: self._fetch(url, code), "Dossier source", self._backoff)
        except GaveUp as failure:
            logger.warning("Dossier source unavailable: %s", failure)
            self.breaker.failure()
            raise SourceUnavailable(failure.reason) from None
        self.breaker.success()
        return view

    async def _fetch(self, url: str, code: str) -> DossierView | None:
        """One call; what a retry may cure (slow, down, talking nonsense) is ``Transient``."""
        try:
            response = await self._client.get(url, timeout=self.config.timeout_seconds)
        except httpx.HTTPError as exc:
            raise Transient(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Transient(f"HTTP {response.status_code}")
        try:
            return self._to_view(code, response.json())
        except (ValueError, KeyError, TypeError) as exc:
            raise Transient(f"unreadable answer ({type(exc).__name__})") from exc

    def _to_view(self, code: str, data: Any) -> DossierView:
        if not isinstance(data, dict):
            raise TypeError("not an object")

        def get(name: str) -> Any:
            return data.get(self.config.fields.get(name, name))

        status = self.config.statuses.get(str(get("status")), str(get("status")))
        if status not in STATUSES:
            raise ValueError(f"unknown remote status {status!r}")
        last4 = _phone_last4(get("applicant_phone_last4"), get("applicant_phone"))
        return DossierView(
            code=code,
            status=status,
            agency=get("agency"),
            received_on=_date(get("received_on")),
            appointment_on=_date(get("appointment_on")),
            note=get("note"),
            supplement_deadline=_date(get("supplement_deadline")),
            result_place=get("result_place"),
            applicant_name=get("applicant_name"),
            second_factor_hash=second_factor_hash(code, last4) if last4 else None,
        )


def _phone_last4(last4: Any, phone: Any) -> str | None:
    """The applicant phone's last 4 digits: a field of exactly those, or the end of the whole number."""
    if last4 is not None and re.fullmatch(r"[0-9]{4}", str(last4).strip()):
        return str(last4).strip()
    digits = re.sub(r"[^0-9]", "", str(phone or ""))
    return digits[-4:] if len(digits) >= 4 else None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


_current: tuple[Settings, DossierSource] | None = None


def get_source() -> DossierSource:
    """The process's one source, made again only when the settings are
    (``get_settings.cache_clear()``), so that tests can switch sources."""
    global _current
    settings = get_settings()
    if _current is None or _current[0] is not settings:
        _current = (settings, _make_source(settings))
    return _current[1]


def _make_source(settings: Settings) -> DossierSource:
    if settings.dossier_source == "http":
        return HttpSource(HttpSourceConfig.from_file(settings.dossier_http_config))
    return LocalSource()
