"""The Chinese working calendar: the holidays package, provisional years and official schedules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civicgrid.adapters.calendar import (
    ChinaWorkCalendar,
    InvalidSchedule,
    YearSchedule,
    covered_years,
    parse_schedule,
)
from civicgrid.domain.deadlines import TimeLimit, compute_deadline

BEIJING = ZoneInfo("Asia/Shanghai")


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# A made-up 2027 notice (the real one was not published when this was written).
SCHEDULE_2027 = json.dumps(
    {
        "year": 2027,
        "holidays": ["2027-01-01", *[d.isoformat() for d in days(date(2027, 2, 5), date(2027, 2, 12))]],
        "workdays": ["2027-02-20", "2027-02-20"],
    }
)


def test_the_package_carries_the_2025_and_2026_notices() -> None:
    calendar = ChinaWorkCalendar()
    assert {2025, 2026} <= covered_years() == calendar.covered_years()
    assert not calendar.is_provisional(date(2025, 6, 1))
    assert not calendar.is_provisional(date(2026, 12, 31))


def test_2025_national_day_week_and_its_worked_weekend_days() -> None:
    calendar = ChinaWorkCalendar()
    assert not any(calendar.is_workday(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert calendar.is_workday(date(2025, 9, 28))  # Sunday
    assert calendar.is_workday(date(2025, 10, 11))  # Saturday
    assert calendar.is_workday(date(2025, 10, 9))
    assert not calendar.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_2026_spring_festival_and_national_day() -> None:
    calendar = ChinaWorkCalendar()
    assert not any(calendar.is_workday(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert calendar.is_workday(date(2026, 2, 14)) and calendar.is_workday(date(2026, 2, 28))  # Saturdays
    assert not any(calendar.is_workday(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert calendar.is_workday(date(2026, 9, 20)) and calendar.is_workday(date(2026, 10, 10))
    assert not calendar.is_workday(date(2026, 9, 25))  # Mid-Autumn Festival, a Friday


def test_years_without_a_notice_are_provisional_statutory_years() -> None:
    calendar = ChinaWorkCalendar()
    assert 2027 not in covered_years() and 2031 not in covered_years()
    for year in (2027, 2031, 2150, 1900):
        assert calendar.is_provisional(date(year, 3, 3))
    # Statutory days still count in a provisional year; no weekend day is worked.
    assert not calendar.is_workday(date(2027, 10, 1))
    assert not calendar.is_workday(date(2027, 2, 8))  # Spring Festival, a Monday
    assert calendar.is_workday(date(2027, 3, 3))
    weekend_2027 = [d for d in days(date(2027, 1, 1), date(2027, 12, 31)) if d.weekday() >= 5]
    assert not any(calendar.is_workday(d) for d in weekend_2027)
    # Beyond what the package can compute: weekends only, and never an error.
    assert calendar.is_workday(date(2150, 3, 3)) and not calendar.is_workday(date(2150, 3, 7))
    assert calendar.is_workday(date(9999, 12, 31)) and calendar.is_workday(date(1, 1, 1))  # Fri, Mon


def test_a_loaded_schedule_ends_the_provisional_year_and_moves_the_deadline() -> None:
    before = ChinaWorkCalendar()
    start, limit = datetime(2027, 2, 4, 10, tzinfo=BEIJING), TimeLimit.parse("3d working")
    provisional = compute_deadline(start, limit, before)
    assert provisional.provisional
    assert provisional.due == datetime(2027, 2, 15, 17, 30, tzinfo=BEIJING)  # package: 5-10 Feb off

    after = before.with_schedule(parse_schedule(SCHEDULE_2027))
    official = compute_deadline(start, limit, after)
    assert not official.provisional
    assert official.due == datetime(2027, 2, 17, 17, 30, tzinfo=BEIJING)  # notice: 5-12 Feb off
    assert after.is_workday(date(2027, 2, 20)) and not after.is_workday(date(2027, 2, 12))
    assert 2027 in after.covered_years() and 2027 not in before.covered_years()
    assert before.is_provisional(date(2027, 2, 4)) and not after.is_provisional(date(2027, 2, 4))
    assert after.is_provisional(date(2031, 1, 1))


def test_an_official_schedule_overrides_the_package() -> None:
    schedule = YearSchedule(2026, frozenset({date(2026, 3, 2)}), frozenset({date(2026, 3, 7)}))
    calendar = ChinaWorkCalendar({2026: schedule})
    assert not calendar.is_workday(date(2026, 3, 2)) and calendar.is_workday(date(2026, 3, 7))
    assert calendar.is_workday(date(2026, 10, 1))  # the package's holiday no longer applies
    with pytest.raises(ValueError, match="filed under 2025"):
        ChinaWorkCalendar({2025: schedule})


def test_parse_schedule_reads_the_documented_format() -> None:
    schedule = parse_schedule(SCHEDULE_2027)
    assert schedule.year == 2027
    assert date(2027, 2, 12) in schedule.holidays and len(schedule.holidays) == 9
    assert schedule.workdays == frozenset({date(2027, 2, 20)})


def doc(**changes: object) -> str:
    base: dict[str, object] = {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-02-20"]}
    base.update(changes)
    return json.dumps({k: v for k, v in base.items() if v != "-"})


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("{year: 2027}", "schedule_not_json", "line 1"),
        ("[2027]", "schedule_bad_shape", "year, holidays and workdays"),
        (doc(workdays="-"), "schedule_bad_shape", "year, holidays and workdays"),
        (doc(workday=["2027-02-20"]), "schedule_bad_shape", "workday"),
        (doc(year="2027"), "schedule_bad_year", "1950"),
        (doc(year=True), "schedule_bad_year", "1950"),
        (doc(year=1800), "schedule_bad_year", "2200"),
        (doc(holidays="2027-01-01"), "schedule_bad_date", "holidays must be a list"),
        (doc(holidays=["2027-1-1"]), "schedule_bad_date", '"2027-1-1" in holidays'),
        (doc(workdays=["2027-02-30"]), "schedule_bad_date", '"2027-02-30" in workdays'),
        (doc(holidays=[20270101]), "schedule_bad_date", '"20270101"'),
        (doc(holidays=["2026-12-31"]), "schedule_outside_year", "2026-12-31 in holidays is not in 2027"),
        (doc(workdays=["2028-01-01"]), "schedule_outside_year", "2028-01-01 in workdays"),
        (doc(holidays=["2027-02-20"]), "schedule_conflict", "2027-02-20 is listed both"),
        (doc(workdays=["2027-02-22"]), "schedule_workday_not_weekend", "2027-02-22"),
        (doc(holidays=[]), "schedule_empty", "2027"),
    ],
)
def test_parse_schedule_refuses_bad_input_clearly(text: str, code: str, words: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        parse_schedule(text)
    assert caught.value.code == code
    assert words in str(caught.value)
