"""The working calendar of mainland China: the ``holidays`` package, overridden by official schedules.

For each year the first source that has it decides:

1. an official schedule an administrator loaded (the State Council's notice, see ``parse_schedule``);
2. the ``holidays`` package, when it carries that year's notice with its adjusted workdays (调休);
3. otherwise the year is provisional: weekends plus the statutory holidays the package computes for any
   year up to 2100, with its in-lieu weekdays for a holiday on a weekend (the 2024 放假办法 requires
   them), and no adjusted workday. Nothing raises; a deadline reaching into the year says provisional.

``holidays`` 0.109 carries the notices for 2001-2026. It computes 2027 onwards from the statutory rules
alone, without a notice, so 2027 stays provisional until its schedule is loaded here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any

from holidays import country_holidays

from civicgrid.domain.errors import N_, DomainError

MIN_YEAR, MAX_YEAR = 1950, 2200
_KEYS = frozenset({"year", "holidays", "workdays"})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidSchedule(DomainError):
    code = "invalid_schedule"
    message = N_("The schedule must be a JSON object with the keys year, holidays and workdays.")


@dataclass(frozen=True)
class YearSchedule:
    """One year's official notice: its days off and the weekend days worked in exchange (调休)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def __post_init__(self) -> None:
        whole = isinstance(self.year, int) and not isinstance(self.year, bool)
        if not whole or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidSchedule(
                N_("The schedule's year must be a whole number from {minimum} to {maximum}."),
                error_code="schedule_bad_year",
                minimum=MIN_YEAR,
                maximum=MAX_YEAR,
            )
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        for name, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            if outside := sorted(day for day in days if day.year != self.year):
                raise InvalidSchedule(
                    N_("{day} in {field} is not in {year}."),
                    error_code="schedule_outside_year",
                    day=outside[0].isoformat(),
                    field=name,
                    year=self.year,
                )
        if not self.holidays:
            raise InvalidSchedule(
                N_("The schedule for {year} lists no holidays."), error_code="schedule_empty", year=self.year
            )
        if both := sorted(self.holidays & self.workdays):
            raise InvalidSchedule(
                N_("{day} is listed both as a holiday and as a workday."),
                error_code="schedule_conflict",
                day=both[0].isoformat(),
            )
        # A weekday is a workday anyway, so one listed among the workdays is a mistyped date.
        if weekdays := sorted(day for day in self.workdays if day.weekday() < 5):
            raise InvalidSchedule(
                N_(
                    "{day} in workdays is not a Saturday or Sunday; only weekend days are worked in exchange."
                ),
                error_code="schedule_workday_not_weekend",
                day=weekdays[0].isoformat(),
            )


def parse_schedule(text: str) -> YearSchedule:
    """Read one year's schedule from JSON.

    Format: ``{"year": 2027, "holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}``.
    ``holidays`` are the days off (weekend days inside a holiday block may be listed or not);
    ``workdays`` are the Saturdays and Sundays worked in exchange. Dates are YYYY-MM-DD within the year,
    no date in both lists, no other key.
    """
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchedule(
            N_("The schedule is not valid JSON (line {line}, column {column})."),
            error_code="schedule_not_json",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    if not isinstance(raw, dict) or not raw.keys() >= _KEYS:
        raise InvalidSchedule(error_code="schedule_bad_shape")
    if unknown := sorted(raw.keys() - _KEYS):
        raise InvalidSchedule(
            N_("Unknown key in the schedule: {key}."), error_code="schedule_bad_shape", key=unknown[0]
        )
    return YearSchedule(raw["year"], _dates(raw, "holidays"), _dates(raw, "workdays"))


def _dates(raw: dict[str, Any], name: str) -> frozenset[date]:
    values = raw[name]
    if not isinstance(values, list):
        raise InvalidSchedule(
            N_("{field} must be a list of dates written as YYYY-MM-DD."),
            error_code="schedule_bad_date",
            field=name,
        )
    days = set()
    for value in values:
        try:
            if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            days.add(date.fromisoformat(value))
        except ValueError:
            raise InvalidSchedule(
                N_('"{value}" in {field} is not a date written as YYYY-MM-DD.'),
                error_code="schedule_bad_date",
                value=value,
                field=name,
            ) from None
    return frozenset(days)


@dataclass(frozen=True)
class _Year:
    days_off: frozenset[date]
    worked_weekends: frozenset[date]
    provisional: bool


@cache
def _notice_years() -> frozenset[int] | None:
    """Years whose State Council notice the package carries, or None if it hides that table."""
    # No public API tells a year with a notice from one computed by rule; the package keeps the notices
    # as a per-year table of substituted days. If a release moves it, fall back to "has a 调休 day".
    from holidays.countries import china

    table = getattr(getattr(china, "ChinaStaticHolidays", None), "special_public_holidays", None)
    return frozenset(table) if isinstance(table, Mapping) else None


@cache
def _package_year(year: int) -> _Year:
    """The package's view of one year; never raises (an empty year is weekends only)."""
    try:
        # The next year too: a notice may make a late-December weekend of this year a workday.
        china = country_holidays("CN", years=(year, year + 1))
        days_off = frozenset(day for day in china if day.year == year)
        worked = frozenset(day for day in china.weekend_workdays if day.year == year)
    except Exception:  # a deadline must always be computable; the year is then provisional
        return _Year(frozenset(), frozenset(), provisional=True)
    notices = _notice_years()
    carried = year in notices if notices is not None else bool(worked)
    return _Year(days_off, worked, provisional=not carried)


def covered_years(official: Mapping[int, YearSchedule] | None = None) -> frozenset[int]:
    """Years with a known schedule: the notices the package carries plus the official ones loaded."""
    package = _notice_years()
    if package is None:
        package = frozenset(y for y in range(2001, MAX_YEAR + 1) if not _package_year(y).provisional)
    return package | frozenset(official or {})


class ChinaWorkCalendar:
    """A ``WorkCalendar`` for mainland China. A value: ``with_schedule`` returns a new calendar."""

    def __init__(self, official: Mapping[int, YearSchedule] | None = None) -> None:
        for year, schedule in (official or {}).items():
            if year != schedule.year:
                raise ValueError(f"the schedule for {schedule.year} is filed under {year}")
        self.official: Mapping[int, YearSchedule] = MappingProxyType(dict(official or {}))
        self._years: dict[int, _Year] = {}

    def with_schedule(self, schedule: YearSchedule) -> ChinaWorkCalendar:
        """A calendar that also knows this official schedule (replacing any earlier one for its year)."""
        return ChinaWorkCalendar({**self.official, schedule.year: schedule})

    def _year(self, year: int) -> _Year:
        known = self._years.get(year)
        if known is None:
            schedule = self.official.get(year)
            if schedule is None:
                known = _package_year(year)
            else:
                known = _Year(schedule.holidays, schedule.workdays, provisional=False)
            self._years[year] = known
        return known

    def is_workday(self, day: date) -> bool:
        """Monday to Friday unless a day off, or a weekend day worked in exchange."""
        year = self._year(day.year)
        if day.weekday() >= 5:
            return day in year.worked_weekends
        return day not in year.days_off

    def is_provisional(self, day: date) -> bool:
        """Whether the day's year has neither an official schedule nor a notice in the package."""
        return self._year(day.year).provisional

    def covered_years(self) -> frozenset[int]:
        """Years this calendar knows the official schedule of."""
        return covered_years(self.official)
