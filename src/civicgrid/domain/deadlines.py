"""Time limits (时限) in natural or working time: deadlines, warnings and suspensions.

How time is counted (as a 12345 operator counts it; the day rules follow 民法典 arts. 201-203):

* **N natural hours / days**: plain clock time, ``start + N h`` or ``start + N x 24 h``; no calendar.
* **N working hours**: only time inside the working periods (default 08:30-12:00 and 13:30-17:30,
  Beijing time) of workdays counts. A report made outside them starts the clock at the next opening:
  2 working hours from 17:00 on a Friday end at 10:00 on Monday, from 03:00 on a Tuesday at 10:30 that
  Tuesday. A due time that falls on a closing stays there (12:00), it does not jump to the next opening.
* **N working days**: the day a report is received does not count; the deadline is the close of
  business (end of the last working period) of the N-th workday after it. A report received after
  closing or on a rest day counts as received on the next workday; one received before opening counts
  for that day. So 1 working day from Tuesday 03:00 or 10:00 is Wednesday 17:30; from Friday 18:00 or
  from Saturday it is Tuesday 17:30.
* **Workdays** are Monday-Friday minus public holidays plus adjusted workdays (调休) on weekends. The
  ``WorkCalendar`` decides; this module knows no holiday. A deadline that consulted a day the calendar
  calls provisional (no official schedule for its year yet) is marked provisional.

Elapsed time, the consumed share behind a warning and a suspension's pause are all counted in the
limit's own mode; for a working-days limit that is working time (a day weighs its working periods).
Working days are counted with per-year prefix sums cached per calendar object, never day by day.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from civicgrid.domain.errors import N_, DomainError

_US = 1_000_000  # microseconds per second: working time is counted in whole microseconds
MAX_AMOUNT = 9999


class LimitMode(StrEnum):
    """Whether a limit runs on the clock or only in the working hours of workdays."""

    NATURAL = "natural"  # 自然时间
    WORKING = "working"  # 工作时间


class LimitUnit(StrEnum):
    """The unit a limit is stated in."""

    HOURS = "hours"
    DAYS = "days"


class Warning(StrEnum):  # shadows the builtin on purpose: the domain word; values as case_types.Warning
    """Time-limit warning: yellow once 80 % of the limit is used, red when overdue."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


class NaiveDatetime(DomainError):
    code = "naive_datetime"
    message = N_("The time {name} has no time zone; give every time with its UTC offset.")


class InvalidTimeLimit(DomainError):
    code = "invalid_time_limit"
    message = N_('"{text}" is not a time limit; write it like "2h natural" or "7d working".')


class InvalidWorkingHours(DomainError):
    code = "invalid_working_hours"
    message = N_(
        "Working hours must be ordered, non-overlapping periods within one day, like 08:30-12:00,13:30-17:30."
    )


class InvalidPause(DomainError):
    code = "invalid_pause"
    message = N_("A suspension cannot end before it starts.")


def _identity(text: str) -> str:
    return text


_LIMIT_RE = re.compile(r"\s*([0-9]+)\s*([hd])\s+(natural|working)\s*", re.IGNORECASE)
_SUFFIX = {LimitUnit.HOURS: "h", LimitUnit.DAYS: "d"}
_DESCRIPTIONS = {
    (LimitUnit.HOURS, LimitMode.NATURAL): (N_("{amount} natural hour"), N_("{amount} natural hours")),
    (LimitUnit.HOURS, LimitMode.WORKING): (N_("{amount} working hour"), N_("{amount} working hours")),
    (LimitUnit.DAYS, LimitMode.NATURAL): (N_("{amount} natural day"), N_("{amount} natural days")),
    (LimitUnit.DAYS, LimitMode.WORKING): (N_("{amount} working day"), N_("{amount} working days")),
}


@dataclass(frozen=True)
class TimeLimit:
    """A time limit such as 2 natural hours or 7 working days; written '2h natural', '7d working'."""

    amount: int
    unit: LimitUnit
    mode: LimitMode

    def __post_init__(self) -> None:
        whole = isinstance(self.amount, int) and not isinstance(self.amount, bool)
        if not whole or not 0 < self.amount <= MAX_AMOUNT:
            raise InvalidTimeLimit(
                N_("A time limit must be a whole number from 1 to {maximum}, not {amount}."),
                amount=self.amount,
                maximum=MAX_AMOUNT,
            )
        object.__setattr__(self, "unit", LimitUnit(self.unit))
        object.__setattr__(self, "mode", LimitMode(self.mode))

    @classmethod
    def parse(cls, text: str) -> TimeLimit:
        """Read '2h natural', '24h natural', '7d working' (case and spaces are free)."""
        match = _LIMIT_RE.fullmatch(text)
        if match is None:
            raise InvalidTimeLimit(text=text)
        unit = LimitUnit.HOURS if match[2].lower() == "h" else LimitUnit.DAYS
        return cls(int(match[1]), unit, LimitMode(match[3].lower()))

    def __str__(self) -> str:
        return f"{self.amount}{_SUFFIX[self.unit]} {self.mode.value}"

    def describe(self, translate: Callable[[str], str] = _identity) -> str:
        """Readable text such as '7 working days'; pass a translator to get the reader's language."""
        singular, plural = _DESCRIPTIONS[(self.unit, self.mode)]
        return translate(singular if self.amount == 1 else plural).format(amount=self.amount)


def _micros(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US + moment.microsecond


@dataclass(frozen=True)
class WorkingHours:
    """The daily working periods in local wall-clock time and their time zone."""

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
    tz: str = "Asia/Shanghai"
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    bounds: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)  # µs after midnight
    day_us: int = field(init=False, repr=False, compare=False)  # working µs in one workday

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        bounds = tuple((_micros(start), _micros(end)) for start, end in periods)
        aware = any(moment.tzinfo is not None for period in periods for moment in period)
        backwards = any(start >= end for start, end in bounds)
        overlapping = any(end > start for (_, end), (start, _) in pairwise(bounds))
        if not bounds or aware or backwards or overlapping:
            raise InvalidWorkingHours()
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidWorkingHours(N_("Unknown time zone: {tz}."), tz=self.tz) from None
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "day_us", sum(end - start for start, end in bounds))

    @classmethod
    def parse(cls, text: str, tz: str = "Asia/Shanghai") -> WorkingHours:
        """Read '08:30-12:00,13:30-17:30' (comma-separated HH:MM-HH:MM periods)."""
        try:
            pairs = [part.split("-") for part in text.split(",")]
            periods = tuple((time.fromisoformat(a.strip()), time.fromisoformat(b.strip())) for a, b in pairs)
        except ValueError:
            raise InvalidWorkingHours() from None
        return cls(periods, tz)

    @property
    def day_length(self) -> timedelta:
        """Working time in one workday (7.5 h by default)."""
        return timedelta(microseconds=self.day_us)

    @property
    def closing(self) -> time:
        """Close of business: the end of the last period, when a working-days deadline falls."""
        return self.periods[-1][1]


DEFAULT_WORKING_HOURS = WorkingHours()


class WorkCalendar(Protocol):
    """Which days are workdays. One object's answers never change: a new schedule makes a new calendar."""

    def is_workday(self, day: date) -> bool: ...

    def is_provisional(self, day: date) -> bool: ...


@dataclass(frozen=True)
class Deadline:
    """A due time (aware, UTC) and whether it rests on a year whose official schedule is not yet known."""

    due: datetime
    provisional: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "due", _aware(self.due, "due").astimezone(UTC))


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetime(name=name)
    return moment


# --------------------------------------------------------------------------- workday arithmetic


@dataclass(frozen=True)
class _Year:
    first: int  # ordinal of 1 January
    workdays: tuple[int, ...]  # workdays[i]: workdays among the year's first i days (prefix sums)
    provisional: tuple[int, ...]  # the same for provisional days


# Per calendar object, its years' tables; weak so a replaced calendar (new schedule) takes its cache along.
_TABLES: weakref.WeakKeyDictionary[WorkCalendar, dict[int, _Year]] = weakref.WeakKeyDictionary()
_MAX_YEARS_AHEAD = 100  # a calendar without workdays must fail, not loop to year 9999


class _Days:
    """Workday counting on one calendar through per-year prefix sums: O(years) whatever the span."""

    __slots__ = ("_calendar", "_years")

    def __init__(self, calendar: WorkCalendar) -> None:
        self._calendar = calendar
        try:
            self._years = _TABLES.setdefault(calendar, {})
        except TypeError:  # unhashable or not weak-referenceable: correct, only rebuilt per call
            self._years = {}

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            first = date(year, 1, 1).toordinal()
            work, prov = [0], [0]
            for ordinal in range(first, date(year, 12, 31).toordinal() + 1):
                day = date.fromordinal(ordinal)
                work.append(work[-1] + bool(self._calendar.is_workday(day)))
                prov.append(prov[-1] + bool(self._calendar.is_provisional(day)))
            table = self._years[year] = _Year(first, tuple(work), tuple(prov))
        return table

    def is_workday(self, day: date) -> bool:
        table = self._year(day.year)
        i = day.toordinal() - table.first
        return table.workdays[i + 1] > table.workdays[i]

    def _count(self, start: date, end: date, provisional: bool) -> int:
        """Days of the kind in [start, end)."""
        total, year = 0, start.year
        while year <= end.year:
            table = self._year(year)
            counts = table.provisional if provisional else table.workdays
            low = start.toordinal() - table.first if year == start.year else 0
            high = end.toordinal() - table.first if year == end.year else len(counts) - 1
            total, year = total + counts[high] - counts[low], year + 1
        return total

    def count(self, start: date, end: date) -> int:
        """Workdays in [start, end)."""
        return self._count(start, end, provisional=False)

    def any_provisional(self, first: date, last: date) -> bool:
        """Whether any day from first to last (inclusive) is provisional."""
        return self._count(first, last + timedelta(days=1), provisional=True) > 0

    def nth(self, day: date, n: int) -> date:
        """The n-th workday on or after day, counting from 0 (0 is day itself when it is a workday)."""
        table, year = self._year(day.year), day.year
        target = table.workdays[day.toordinal() - table.first] + n + 1
        while target > table.workdays[-1]:
            if year - day.year > _MAX_YEARS_AHEAD:
                raise ValueError(f"the calendar has no workday within {_MAX_YEARS_AHEAD} years of {day}")
            target -= table.workdays[-1]
            year += 1
            table = self._year(year)
        return date.fromordinal(table.first + bisect_left(table.workdays, target) - 1)


def _worked(hours: WorkingHours, local: datetime) -> int:
    """Working µs of the local day before this wall-clock time (ignoring whether it is a workday)."""
    now, done = _micros(local.time()), 0
    for start, end in hours.bounds:
        if now <= start:
            break
        done += min(now, end) - start
    return done


def _at_offset(day: date, offset: int, hours: WorkingHours) -> datetime:
    """The earliest local time on day by which offset working µs (0 < offset <= day_us) are done."""
    for start, end in hours.bounds:
        if offset <= end - start:
            return datetime(day.year, day.month, day.day, tzinfo=hours.zone) + timedelta(
                microseconds=start + offset
            )
        offset -= end - start
    raise AssertionError("offset beyond the working day")  # callers keep 0 < offset <= day_us


def _working_between(start: datetime, end: datetime, hours: WorkingHours, days: _Days) -> int:
    """Working µs from start to end (start <= end)."""
    first, last = start.astimezone(hours.zone), end.astimezone(hours.zone)
    total = days.count(first.date(), last.date()) * hours.day_us
    if days.is_workday(last.date()):
        total += _worked(hours, last)
    if days.is_workday(first.date()):
        total -= _worked(hours, first)
    return total


def _advance(local: datetime, amount: int, hours: WorkingHours, days: _Days) -> datetime:
    """The earliest instant by which amount (> 0) working µs after local are done."""
    day = local.date()
    k, rest = divmod((_worked(hours, local) if days.is_workday(day) else 0) + amount, hours.day_us)
    if rest == 0:  # lands on a closing: stay there rather than at the next opening
        k, rest = k - 1, hours.day_us
    return _at_offset(days.nth(day, k), rest, hours)


# --------------------------------------------------------------------------- public operations


def compute_deadline(
    start: datetime, limit: TimeLimit, calendar: WorkCalendar, hours: WorkingHours = DEFAULT_WORKING_HOURS
) -> Deadline:
    """The due time of a limit that starts at start (see the module docstring for the counting rules)."""
    _aware(start, "start")
    if limit.mode is LimitMode.NATURAL:
        unit = timedelta(hours=1) if limit.unit is LimitUnit.HOURS else timedelta(days=1)
        return Deadline(start + limit.amount * unit)
    days, local = _Days(calendar), start.astimezone(hours.zone)
    if limit.unit is LimitUnit.HOURS:
        due = _advance(local, limit.amount * 3600 * _US, hours, days)
    else:
        received_that_day = days.is_workday(local.date()) and _worked(hours, local) < hours.day_us
        first = local.date() if received_that_day else local.date() + timedelta(days=1)
        # nth(first, 0) is the day the report counts as received, which itself does not count.
        due = _at_offset(days.nth(first, limit.amount), hours.day_us, hours)
    return Deadline(due, days.any_provisional(local.date(), due.date()))


def elapsed(
    start: datetime,
    end: datetime,
    mode: LimitMode,
    calendar: WorkCalendar,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
) -> timedelta:
    """Natural or working time from start to end (negative when end is earlier)."""
    _aware(start, "start")
    _aware(end, "end")
    if mode is LimitMode.NATURAL:
        return end - start
    if end < start:
        return -elapsed(end, start, mode, calendar, hours)
    return timedelta(microseconds=_working_between(start, end, hours, _Days(calendar)))


def warning_level(
    now: datetime,
    start: datetime,
    deadline: Deadline | datetime,
    limit: TimeLimit,
    calendar: WorkCalendar,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
    yellow_at: float = 0.8,
) -> Warning:
    """Red when overdue; yellow once yellow_at of the limit is used, counted in the limit's own mode."""
    due = _aware(deadline.due if isinstance(deadline, Deadline) else deadline, "deadline")
    _aware(now, "now")
    if not 0 < yellow_at < 1:
        raise ValueError(f"yellow_at must lie strictly between 0 and 1, not {yellow_at}")
    if now > due:
        return Warning.RED
    # "Used" is the limit's length minus what is left before the due time, not the time since start,
    # so an approved suspension or extension (which moved the due time) is credited back.
    span = elapsed(start, compute_deadline(start, limit, calendar, hours).due, limit.mode, calendar, hours)
    left = elapsed(now, due, limit.mode, calendar, hours)
    return Warning.YELLOW if span - left >= span * yellow_at else Warning.NONE


def shift_deadline(
    due: datetime,
    paused_from: datetime,
    paused_to: datetime,
    mode: LimitMode,
    calendar: WorkCalendar,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
) -> Deadline:
    """Move a due time by an approved suspension (挂账): the pause, counted in the limit's mode, is added."""
    _aware(due, "due")
    if _aware(paused_to, "paused_to") < _aware(paused_from, "paused_from"):
        raise InvalidPause()
    if mode is LimitMode.NATURAL:
        return Deadline(due + (paused_to - paused_from))
    days = _Days(calendar)
    pause = _working_between(paused_from, paused_to, hours, days)
    local = due.astimezone(hours.zone)
    moved = _advance(local, pause, hours, days) if pause > 0 else local
    dates = [moment.astimezone(hours.zone).date() for moment in (paused_from, paused_to, local, moved)]
    return Deadline(moved, days.any_provisional(min(dates), max(dates)))
