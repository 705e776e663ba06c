"""The command centre's periods: local midnights, calendar weeks and months, the previous period to date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from civicgrid.domain.dashboard_periods import (
    InvalidPeriod,
    PeriodNeedsDays,
    PeriodOutOfRange,
    PeriodTooLong,
    Preset,
    between,
    local_days,
    period_of,
)

BEIJING = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 4 November 2026, 12:00 in Beijing.
NOW = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)


def local(y: int, m: int, d: int, h: int = 0, zone: ZoneInfo = BEIJING) -> datetime:
    return datetime(y, m, d, h, tzinfo=zone)


def test_today_starts_at_local_midnight_and_compares_with_yesterday_until_the_same_hour() -> None:
    p = period_of(Preset.TODAY, now=NOW, zone=BEIJING)
    assert (p.start, p.end) == (local(2026, 11, 4), local(2026, 11, 5))
    assert (p.previous_start, p.previous_end) == (local(2026, 11, 3), local(2026, 11, 3, 12))


def test_this_week_runs_from_monday_and_last_week_to_the_same_weekday_and_hour() -> None:
    p = period_of(Preset.WEEK, now=NOW, zone=BEIJING)
    assert (p.start, p.end) == (local(2026, 11, 2), local(2026, 11, 9))
    assert (p.previous_start, p.previous_end) == (local(2026, 10, 26), local(2026, 10, 28, 12))


def test_this_month_is_the_calendar_month_and_a_short_previous_month_is_capped() -> None:
    p = period_of(Preset.MONTH, now=NOW, zone=BEIJING)
    assert (p.start, p.end) == (local(2026, 11, 1), local(2026, 12, 1))
    assert (p.previous_start, p.previous_end) == (local(2026, 10, 1), local(2026, 10, 4, 12))
    # 31 March: February has fewer days, the comparison stops at its end.
    late = period_of(Preset.MONTH, now=local(2026, 3, 31, 18), zone=BEIJING)
    assert (late.previous_start, late.previous_end) == (local(2026, 2, 1), local(2026, 3, 1))
    january = period_of(Preset.MONTH, now=local(2027, 1, 10), zone=BEIJING)
    assert january.previous_start == local(2026, 12, 1) and january.end == local(2027, 2, 1)


def test_the_last_30_days_include_today() -> None:
    p = period_of(Preset.LAST_30_DAYS, now=NOW, zone=BEIJING)
    assert (p.start, p.end) == (local(2026, 10, 6), local(2026, 11, 5))
    assert p.previous_start == local(2026, 9, 6) and p.previous_end == local(2026, 10, 5, 12)


def test_a_custom_period_includes_its_last_day_and_the_previous_one_is_as_long() -> None:
    p = period_of(
        Preset.CUSTOM, now=NOW, zone=BEIJING, first_day=date(2026, 10, 1), last_day=date(2026, 10, 10)
    )
    assert (p.start, p.end) == (local(2026, 10, 1), local(2026, 10, 11))
    assert (p.previous_start, p.previous_end) == (local(2026, 9, 21), local(2026, 10, 1))


def test_a_range_still_running_compares_with_the_same_elapsed_time() -> None:
    p = between(local(2026, 11, 4), local(2026, 11, 6), now=NOW)
    assert (p.previous_start, p.previous_end) == (local(2026, 11, 2), local(2026, 11, 2, 12))


@pytest.mark.parametrize(
    ("first", "last"), [(date(2026, 11, 4), date(2026, 11, 1)), (date(2025, 1, 1), date(2026, 11, 1))]
)
def test_backwards_or_overlong_ranges_are_refused(first: date, last: date) -> None:
    with pytest.raises((InvalidPeriod, PeriodTooLong)):
        period_of(Preset.CUSTOM, now=NOW, zone=BEIJING, first_day=first, last_day=last)
    with pytest.raises(PeriodNeedsDays):
        period_of(Preset.CUSTOM, now=NOW, zone=BEIJING)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(9999, 12, 1), date(9999, 12, 31)),
        (date(1, 1, 2), date(1, 1, 3)),
        (date(1899, 12, 31), date(1900, 1, 2)),
    ],
)
def test_days_beyond_the_records_calendar_are_refused_not_crashed_on(first: date, last: date) -> None:
    with pytest.raises(PeriodOutOfRange):
        period_of(Preset.CUSTOM, now=NOW, zone=BEIJING, first_day=first, last_day=last)


def test_local_days_follow_local_midnights_even_across_a_clock_change() -> None:
    days = local_days(local(2026, 11, 1, 12), local(2026, 11, 3, 1), BEIJING)
    assert [d for d, _, _ in days] == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert days[0][1] == local(2026, 11, 1) and days[0][1].utcoffset() == timedelta(hours=8)
    # Berlin leaves summer time on 25 October 2026: that day has 25 hours.
    autumn = local_days(local(2026, 10, 25, zone=BERLIN), local(2026, 10, 26, zone=BERLIN), BERLIN)
    assert len(autumn) == 1 and autumn[0][2].astimezone(UTC) - autumn[0][1].astimezone(UTC) == timedelta(
        hours=25
    )
