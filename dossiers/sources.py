"""Where a dossier's status is looked up: the local mirror, or a province's
look-up API over HTTP (timeouts, retries with jittered back-off, circuit
breaker, and the remote fields and statuses mapped in configuration).

One source serves the whole process (``get_source``): a circuit breaker that
is rebuilt for every message never sees enough failures to open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import re
import time
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


class CircuitBreaker:
    """Stops calling a failing source for ``reset_seconds`` after ``threshold``
    failures in a row, then lets one trial call through (half-open)."""

    def __init__(self, threshold: int, reset_seconds: float) -> None:
        self.threshold, self.reset_seconds = threshold, reset_seconds
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if time.monotonic() - self.opened_at >= self.reset_seconds else "open"

    def allow(self) -> bool:
        """Whether to call now. Half-open lets one trial through: the others
        see the breaker open until the trial's outcome is known."""
        state = self.state
        if state == "half-open":
            self.opened_at = time.monotonic()
        return state != "open"

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = time.monotonic()


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
        self._client = client or httpx.AsyncClient(timeout=config.timeout_seconds)

    async def lookup(self, code: str) -> DossierView | None:
        if not self.breaker.allow():
            raise SourceUnavailable("circuit open")
        url = self.config.base_url.rstrip("/") + self.config.path.format(code=quote(code, safe=""))
        for attempt in range(self.config.retries + 1):
            try:
                view = await self._fetch(url, code)
            except SourceUnavailable as exc:
                logger.warning("Dossier source attempt %d failed: %s", attempt + 1, exc)
                if attempt == self.config.retries:
                    self.breaker.failure()
                    raise
                await asyncio.sleep(_backoff(self.config.backoff_seconds, attempt))
                continue
            self.breaker.success()
            return view
        raise AssertionError("unreachable")

    async def _fetch(self, url: str, code: str) -> DossierView | None:
        try:
            response = await self._client.get(url, timeout=self.config.timeout_seconds)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SourceUnavailable(f"HTTP {response.status_code}")
        try:
            return self._to_view(code, response.json())
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceUnavailable(f"unreadable answer ({type(exc).__name__})") from exc

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


def _backoff(base_seconds: float, attempt: int) -> float:
    """Exponential, with jitter: clients that failed together do not retry together."""
    ceiling = base_seconds * 2**attempt
    return ceiling / 2 + random.uniform(0, ceiling / 2)


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
