"""Working hours: boundaries, spans across midnight, holidays from the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handoff.hours import HoursError, Schedule, parse_hours, read_holidays, say_when

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE = "mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30"


def at(text: str) -> dt.datetime:
    """A Vietnam local time, e.g. "2026-12-07 07:30" (a Monday)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


def schedule(spec: str = OFFICE, holidays: frozenset[dt.date] = frozenset()) -> Schedule:
    return Schedule(parse_hours(spec), holidays, VN)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-12-07 07:29:59", False),
        ("2026-12-07 07:30:00", True),  # opening minute is open
        ("2026-12-07 11:29:59", True),
        ("2026-12-07 11:30:00", False),  # closing minute is closed (lunch)
        ("2026-12-07 13:30:00", True),
        ("2026-12-07 16:59:59", True),
        ("2026-12-07 17:00:00", False),
        ("2026-12-12 11:00:00", True),  # Saturday morning
        ("2026-12-12 14:00:00", False),  # Saturday afternoon
        ("2026-12-13 09:00:00", False),  # Sunday
    ],
)
def test_boundaries_of_an_office_day(moment: str, open_: bool) -> None:
    assert schedule().is_open(at(moment)) is open_


def test_the_same_instant_in_utc_is_read_in_the_office_zone() -> None:
    # 00:30 UTC is 07:30 in Vietnam.
    assert schedule().is_open(dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone.utc))
    assert not schedule().is_open(dt.datetime(2026, 12, 7, 0, 29, tzinfo=dt.timezone.utc))


def test_next_opening_after_closing_lunch_weekend() -> None:
    s = schedule()
    assert s.next_opening(at("2026-12-07 17:00")) == at("2026-12-08 07:30")
    assert s.next_opening(at("2026-12-07 12:00")) == at("2026-12-07 13:30")
    assert s.next_opening(at("2026-12-12 11:30")) == at("2026-12-14 07:30")  # Saturday noon -> Monday


def test_a_span_across_midnight() -> None:
    s = schedule("fri 22:00-02:00")
    assert not s.is_open(at("2026-12-11 21:59"))
    assert s.is_open(at("2026-12-11 22:00"))
    assert s.is_open(at("2026-12-12 00:00"))  # Saturday, still Friday's shift
    assert s.is_open(at("2026-12-12 01:59"))
    assert not s.is_open(at("2026-12-12 02:00"))
    assert not s.is_open(at("2026-12-12 22:30"))  # no Saturday shift
    assert s.next_opening(at("2026-12-12 02:00")) == at("2026-12-18 22:00")


def test_all_day_every_day() -> None:
    s = schedule("mon-sun 00:00-24:00")
    assert s.is_open(at("2026-12-13 00:00")) and s.is_open(at("2026-12-13 23:59:59"))


def test_a_day_range_wrapping_the_week() -> None:
    assert sorted(parse_hours("sat-mon 08:00-12:00")) == [0, 5, 6]


def test_a_configured_holiday_closes_the_day(tmp_path: Path) -> None:
    file = tmp_path / "holidays.yaml"
    file.write_text("holidays:\n  - {date: 2026-09-02, name: Quốc khánh}\n  - 2026-09-01\n", encoding="utf-8")
    holidays = read_holidays(file)
    s = schedule(holidays=holidays)
    assert not s.is_open(at("2026-09-02 09:00"))  # a Wednesday
    assert not s.is_open(at("2026-09-01 09:00"))
    assert s.next_opening(at("2026-08-31 17:30")) == at("2026-09-03 07:30")


def test_a_night_shift_begun_before_a_holiday_ends_as_planned() -> None:
    s = schedule("mon-sun 22:00-06:00", frozenset({dt.date(2026, 9, 2)}))
    assert s.is_open(at("2026-09-02 05:00"))  # began on 1 September
    assert not s.is_open(at("2026-09-02 23:00"))  # the holiday's own shift does not start
    assert s.is_open(at("2026-09-03 01:00")) is False
    assert s.next_opening(at("2026-09-02 07:00")) == at("2026-09-03 22:00")


def test_the_shipped_holidays_file_reads() -> None:
    dates = read_holidays(Path("handoff/holidays.yaml"))
    assert dt.date(2026, 9, 2) in dates and dt.date(2026, 1, 1) in dates


@pytest.mark.parametrize("spec", ["mon 7h-11h", "xyz 07:00-08:00", "mon", "mon 25:00-26:00"])
def test_a_wrong_setting_is_refused_with_what_is_wrong(spec: str) -> None:
    with pytest.raises(HoursError):
        parse_hours(spec)


def test_the_opening_is_said_in_vietnamese() -> None:
    assert say_when(at("2026-12-07 07:30"), VN) == "07:30 thứ Hai, 07/12/2026"


def test_nothing_configured_never_opens() -> None:
    assert schedule("").next_opening(at("2026-12-07 07:30")) is None
