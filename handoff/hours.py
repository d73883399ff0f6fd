"""The office's working hours: whether a person can answer now, and when the
office opens next.

Hours come from ``TTHC_HANDOFF_HOURS`` (each office runs its own console and
sets its own), e.g. ``mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30``, in
the office's time zone (``TTHC_HANDOFF_TIMEZONE``). A range may cross
midnight (``sat 22:00-02:00`` runs into Sunday). Public holidays are dates in
a YAML file (``TTHC_HANDOFF_HOLIDAYS``): no range *starting* on a holiday
is open, so a night shift that began the evening before ends as planned.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from settings import get_settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_LOOKAHEAD_DAYS = 60  # a Tết break is about ten days: two months always find an opening


class HoursError(ValueError):
    """A working-hours setting or holiday file that cannot be read."""


@dataclass(frozen=True)
class Span:
    start: dt.time
    end: dt.time  # at or before ``start``: the span ends the next day

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class Schedule:
    weekly: dict[int, tuple[Span, ...]]  # weekday (0 = Monday) -> spans starting that day
    holidays: frozenset[dt.date]
    zone: ZoneInfo

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(start <= local < end for start, end in self._windows(local.date() - dt.timedelta(days=1), 2))

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """The next time the office opens after ``moment`` (local time), or
        None when nothing opens within two months (no hours configured)."""
        local = moment.astimezone(self.zone)
        for start, _ in self._windows(local.date(), _LOOKAHEAD_DAYS):
            if start > local:
                return start
        return None

    def _windows(self, first: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
        windows = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            if day in self.holidays:
                continue
            for span in self.weekly.get(day.weekday(), ()):
                start = dt.datetime.combine(day, span.start, self.zone)
                end_day = day + dt.timedelta(days=1) if span.crosses_midnight else day
                windows.append((start, dt.datetime.combine(end_day, span.end, self.zone)))
        return sorted(windows)


def parse_hours(spec: str) -> dict[int, tuple[Span, ...]]:
    """``mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30`` -> spans per weekday."""
    weekly: dict[int, list[Span]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days_text, _, ranges_text = part.partition(" ")
        spans = [_span(r.strip()) for r in ranges_text.split(",") if r.strip()]
        if not spans:
            raise HoursError(f"no hours for {days_text!r}")
        for day in _days(days_text):
            weekly.setdefault(day, []).extend(spans)
    return {day: tuple(sorted(spans, key=lambda s: s.start)) for day, spans in weekly.items()}


def _days(text: str) -> list[int]:
    first, _, last = text.lower().partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise HoursError(f"unknown day in {text!r} (use mon..sun)")
    start, end = DAYS.index(first), DAYS.index(last or first)
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]


def _span(text: str) -> Span:
    match = _RANGE.match(text)
    if not match:
        raise HoursError(f"not a time range: {text!r} (use HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        end = dt.time(0, 0) if (h2, m2) == (24, 0) else dt.time(h2, m2)  # "24:00": midnight
        return Span(dt.time(h1, m1), end)
    except ValueError as exc:
        raise HoursError(f"not a time range: {text!r}") from exc


def read_holidays(path: Path) -> frozenset[dt.date]:
    """The dates of ``holidays:`` in ``path`` (each ``{date: YYYY-MM-DD, name: ...}``)."""
    if not path.is_file():
        return frozenset()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dates = set()
    for item in data.get("holidays") or []:
        value = item.get("date") if isinstance(item, dict) else item
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if not isinstance(value, dt.date):
            raise HoursError(f"{path}: not a date: {value!r}")
        dates.add(value)
    return frozenset(dates)


@lru_cache(maxsize=4)
def _schedule(spec: str, holidays: Path, zone: str) -> Schedule:
    return Schedule(parse_hours(spec), read_holidays(holidays), ZoneInfo(zone))


def office_schedule() -> Schedule:
    """The configured office's schedule."""
    settings = get_settings()
    return _schedule(settings.handoff_hours, settings.handoff_holidays, settings.handoff_timezone)


def say_when(moment: dt.datetime, zone: ZoneInfo) -> str:
    """``07:30 thứ Hai, 07/12/2026`` — how the citizen is told an opening time."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {WEEKDAY_NAMES[local.weekday()]}, {local:%d/%m/%Y}"
