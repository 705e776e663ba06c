"""Periods of the command centre: today, this week, this month, the last 30 days or from-to, in local time.

Each period comes with the one before it, of the same elapsed length: "this week" on a Wednesday noon is
compared with last Monday to last Wednesday noon, never with the whole of last week (counts would always
look like a fall). Boundaries are local midnights of the district's time zone, so a day is a calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.domain.periods import EARLIEST, LATEST

MAX_DAYS = 366  # one day per point on a trend; a longer range is a yearly report, not a dashboard


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    message = N_("The period must start before it ends ('from' before 'to').")


class PeriodNeedsDays(InvalidInput):
    code = "invalid_period"
    message = N_("A period from – to needs its first and its last day.")


class UnreadableDay(InvalidInput):
    code = "invalid_period"
    message = N_("{field} is not a date; pick one, or type it like 2026-11-30.")


def typed_day(text: str, field: str) -> date | None:
    """A day as a date box sends it (year-month-day); None for an empty box; UnreadableDay otherwise."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UnreadableDay(field=field) from None


class PeriodTooLong(InvalidInput):
    code = "invalid_period"
    message = N_("A period covers at most {days} days.")


class PeriodOutOfRange(InvalidInput):
    code = "invalid_period"
    message = N_("Dates must lie between {first} and {last}.")


# The days a custom period may use: those every record's moment is held within (domain.periods), so a
# period's day arithmetic never leaves the calendar (9999-12-31 has no next day).
FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date() - timedelta(days=1)


class Preset(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    LAST_30_DAYS = "30d"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """[start, end) and the previous period [previous_start, previous_end) to compare with."""

    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``zone`` (an aware datetime)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def check_range(start: datetime, end: datetime) -> None:
    """Refuse a range that ends before it starts or covers more than MAX_DAYS."""
    if end <= start:
        raise InvalidPeriod()
    if end - start > timedelta(days=MAX_DAYS):
        raise PeriodTooLong(days=MAX_DAYS)


def _month_start(day: date, back: int = 0) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def period_of(
    preset: Preset,
    *,
    now: datetime,
    zone: ZoneInfo,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Period:
    """The period of a preset at ``now``; CUSTOM takes ``first_day`` to ``last_day`` (both included)."""
    today = now.astimezone(zone).date()
    if preset is Preset.CUSTOM:
        if first_day is None or last_day is None:
            raise PeriodNeedsDays()
        if not (FIRST_DAY <= first_day <= LAST_DAY and FIRST_DAY <= last_day <= LAST_DAY):
            raise PeriodOutOfRange(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
        start, end = local_midnight(first_day, zone), local_midnight(last_day + timedelta(days=1), zone)
        check_range(start, end)
        return between(start, end, now=now)
    if preset is Preset.MONTH:
        start_day, end_day = _month_start(today), _month_start(today, -1)
        previous_start = local_midnight(_month_start(today, 1), zone)
        start, end = local_midnight(start_day, zone), local_midnight(end_day, zone)
        return Period(start, end, previous_start, min(previous_start + _elapsed(start, end, now), start))
    first = {
        Preset.TODAY: today,
        Preset.WEEK: today - timedelta(days=today.weekday()),
        Preset.LAST_30_DAYS: today - timedelta(days=29),
    }[preset]
    length = {Preset.TODAY: 1, Preset.WEEK: 7, Preset.LAST_30_DAYS: 30}[preset]
    start = local_midnight(first, zone)
    end = local_midnight(first + timedelta(days=length), zone)
    previous_start = local_midnight(first - timedelta(days=length), zone)
    return Period(start, end, previous_start, previous_start + _elapsed(start, end, now))


def _elapsed(start: datetime, end: datetime, now: datetime) -> timedelta:
    # The part of the period behind us; a period wholly past (or to come) counts in full.
    return now - start if start < now < end else end - start


def between(start: datetime, end: datetime, *, now: datetime) -> Period:
    """A from-to period; the previous one is as long and ends where this one starts (elapsed part only)."""
    check_range(start, end)
    length = end - start
    return Period(start, end, start - length, start - length + _elapsed(start, end, now))


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """The calendar days that [start, end) touches, each with its [local midnight, next midnight)."""
    check_range(start, end)
    day = start.astimezone(zone).date()
    out: list[tuple[date, datetime, datetime]] = []
    while True:
        lo = local_midnight(day, zone)
        if lo >= end:
            return out
        out.append((day, lo, local_midnight(day + timedelta(days=1), zone)))
        day += timedelta(days=1)
