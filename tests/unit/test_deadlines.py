"""Time limits: natural and working time on the real Chinese calendar (2025-2026) and on small fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.adapters.calendar import ChinaWorkCalendar
from civicgrid.domain.deadlines import (
    DEFAULT_WORKING_HOURS,
    Deadline,
    InvalidPause,
    InvalidTimeLimit,
    InvalidWorkingHours,
    LimitMode,
    LimitUnit,
    NaiveDatetime,
    TimeLimit,
    Warning,
    WorkingHours,
    compute_deadline,
    elapsed,
    shift_deadline,
    warning_level,
)

BEIJING = ZoneInfo("Asia/Shanghai")
CHINA = ChinaWorkCalendar()
WORKING, NATURAL = LimitMode.WORKING, LimitMode.NATURAL


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=BEIJING)


def due(start: datetime, limit: str) -> datetime:
    return compute_deadline(start, TimeLimit.parse(limit), CHINA).due


@dataclass(frozen=True)
class Weekdays:
    """Monday to Friday, minus some days off; years listed as provisional."""

    off: frozenset[date] = frozenset()
    provisional_years: frozenset[int] = frozenset()

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.off

    def is_provisional(self, day: date) -> bool:
        return day.year in self.provisional_years


# ----------------------------------------------------------------------------- the limit itself


def test_limit_parses_and_prints_its_short_form() -> None:
    assert TimeLimit.parse("2h natural") == TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)
    assert TimeLimit.parse(" 7D Working ") == TimeLimit(7, LimitUnit.DAYS, LimitMode.WORKING)
    assert str(TimeLimit.parse("15d working")) == "15d working"
    assert TimeLimit(24, "hours", "natural") == TimeLimit(24, LimitUnit.HOURS, NATURAL)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "2 hours", "2h", "2x natural", "-1d working", "h natural", "2h working x"]
)
def test_limit_refuses_what_is_not_a_limit(text: str) -> None:
    with pytest.raises(InvalidTimeLimit) as caught:
        TimeLimit.parse(text)
    assert caught.value.code == "invalid_time_limit"
    assert f'"{text}"' in str(caught.value)


@pytest.mark.parametrize("amount", [0, -3, 10_000, True])
def test_limit_refuses_amounts_out_of_range(amount: int) -> None:
    with pytest.raises(InvalidTimeLimit):
        TimeLimit(amount, LimitUnit.DAYS, WORKING)


def test_limit_describes_itself_and_can_be_translated() -> None:
    assert TimeLimit.parse("1d working").describe() == "1 working day"
    assert TimeLimit.parse("7d working").describe() == "7 working days"
    assert TimeLimit.parse("2h natural").describe() == "2 natural hours"
    zh = {"{amount} working days": "{amount}个工作日"}
    assert TimeLimit.parse("7d working").describe(lambda m: zh.get(m, m)) == "7个工作日"


def test_working_hours_refuse_bad_periods_and_unknown_zones() -> None:
    assert WorkingHours.parse("09:00-17:00").day_length == timedelta(hours=8)
    assert DEFAULT_WORKING_HOURS.day_length == timedelta(hours=7, minutes=30)
    assert DEFAULT_WORKING_HOURS.closing == time(17, 30)
    for text in ("08:30-12:00,11:00-17:30", "12:00-08:30", "13:30-17:30,08:30-12:00", "8h", ""):
        with pytest.raises(InvalidWorkingHours):
            WorkingHours.parse(text)
    with pytest.raises(InvalidWorkingHours, match="Mars/Olympus"):
        WorkingHours(tz="Mars/Olympus")


# ----------------------------------------------------------------------------- natural time


def test_two_natural_hours_run_across_midnight() -> None:
    assert due(at(2025, 12, 31, 23), "2h natural") == at(2026, 1, 1, 1)


def test_natural_limits_ignore_the_golden_week() -> None:
    assert due(at(2025, 9, 30, 20), "24h natural") == at(2025, 10, 1, 20)
    assert due(at(2025, 9, 30, 20), "7d natural") == at(2025, 10, 7, 20)
    assert compute_deadline(at(2031, 1, 1), TimeLimit.parse("7d natural"), CHINA).provisional is False


def test_deadlines_are_utc_whatever_zone_the_start_is_in() -> None:
    start = at(2025, 11, 14, 17)
    deadline = compute_deadline(start.astimezone(UTC), TimeLimit.parse("2h working"), CHINA)
    assert deadline.due.tzinfo is UTC
    assert deadline.due == at(2025, 11, 17, 10)
    assert Deadline(at(2025, 1, 1, 8)).due == datetime(2025, 1, 1, 0, tzinfo=UTC)


# ----------------------------------------------------------------------------- working hours


def test_two_working_hours_from_friday_1700_end_monday_1000() -> None:
    assert due(at(2025, 11, 14, 17), "2h working") == at(2025, 11, 17, 10)


def test_a_report_at_three_in_the_morning_waits_for_the_opening() -> None:
    assert due(at(2025, 11, 18, 3), "2h working") == at(2025, 11, 18, 10, 30)
    assert due(at(2025, 11, 18, 3), "1d working") == at(2025, 11, 19, 17, 30)


def test_working_hours_skip_lunch_and_stop_at_a_closing() -> None:
    assert due(at(2025, 11, 18, 11), "2h working") == at(2025, 11, 18, 14, 30)
    assert due(at(2025, 11, 18, 8, 30), "15h working") == at(2025, 11, 19, 17, 30)  # not Thursday 08:30
    half_day = WorkingHours.parse("08:30-12:00")  # 3.5 h days: 7 h from an opening end at a closing
    deadline = compute_deadline(at(2025, 11, 18, 8, 30), TimeLimit.parse("7h working"), CHINA, half_day)
    assert deadline.due == at(2025, 11, 19, 12)


def test_two_working_hours_over_the_2025_national_day_holiday() -> None:
    assert due(at(2025, 9, 30, 17), "2h working") == at(2025, 10, 9, 10)


def test_adjusted_weekend_days_are_worked() -> None:
    # 2025-09-28 (Sunday) and 2025-10-11 (Saturday) were worked in exchange for the National Day week.
    assert due(at(2025, 9, 26, 17), "2h working") == at(2025, 9, 28, 10)
    assert due(at(2025, 10, 10, 17), "2h working") == at(2025, 10, 11, 10)
    assert due(at(2025, 10, 10, 17), "1d working") == at(2025, 10, 11, 17, 30)


def test_eight_working_hours_over_spring_festival_2026() -> None:
    # Saturday 2026-02-14 is worked; 15-23 February are off.
    assert due(at(2026, 2, 14, 16), "8h working") == at(2026, 2, 24, 16, 30)


# ----------------------------------------------------------------------------- working days


def test_working_days_do_not_count_the_day_of_receipt() -> None:
    assert due(at(2025, 11, 14, 10), "1d working") == at(2025, 11, 17, 17, 30)  # Friday -> Monday
    assert due(at(2025, 11, 14, 18), "1d working") == at(2025, 11, 18, 17, 30)  # after closing -> Tuesday
    assert due(at(2025, 11, 15, 10), "1d working") == at(2025, 11, 18, 17, 30)  # Saturday -> Tuesday
    assert due(at(2025, 11, 14, 17, 30), "1d working") == at(2025, 11, 18, 17, 30)  # at closing = after


def test_seven_working_days_across_the_2025_national_day_week() -> None:
    # 1-8 October off, Saturday 11 October worked: Oct 9, 10, 11, 13, 14, 15, 16.
    assert due(at(2025, 9, 30, 10), "7d working") == at(2025, 10, 16, 17, 30)


def test_fifteen_working_days_across_the_2026_national_day_week() -> None:
    # 1-7 October off, Saturday 10 October worked.
    assert due(at(2026, 9, 30, 9), "15d working") == at(2026, 10, 27, 17, 30)


def test_seven_working_days_from_a_friday_evening_before_mid_autumn_2026() -> None:
    # Received Friday 18 Sep after closing: counts as received on Sunday 20 Sep (a worked day);
    # Friday 25 Sep is the Mid-Autumn Festival.
    assert due(at(2026, 9, 18, 18), "7d working") == at(2026, 9, 30, 17, 30)


def test_seven_working_days_across_spring_festival_2026() -> None:
    # 13 Feb, 14 Feb (Saturday, worked), then 24-27 Feb and Saturday 28 Feb (worked).
    assert due(at(2026, 2, 12, 10), "7d working") == at(2026, 2, 28, 17, 30)


def test_a_deadline_reaching_into_an_unpublished_year_is_provisional() -> None:
    assert compute_deadline(at(2026, 12, 1, 10), TimeLimit.parse("7d working"), CHINA).provisional is False
    late = compute_deadline(at(2026, 12, 25, 10), TimeLimit.parse("7d working"), CHINA)
    assert late.provisional is True
    assert late.due == at(2027, 1, 6, 17, 30)
    fake = Weekdays(provisional_years=frozenset({2031}))
    assert compute_deadline(at(2031, 3, 3, 10), TimeLimit.parse("2h working"), fake).provisional is True
    assert compute_deadline(at(2030, 3, 4, 10), TimeLimit.parse("2h working"), fake).provisional is False


def test_an_unhashable_calendar_still_works() -> None:
    @dataclass  # eq without frozen: unhashable, so nothing can be cached for it
    class Mutable:
        def is_workday(self, day: date) -> bool:
            return day.weekday() < 5

        def is_provisional(self, day: date) -> bool:
            return False

    assert compute_deadline(at(2025, 10, 1, 17), TimeLimit.parse("1d working"), Mutable()).due == at(
        2025, 10, 2, 17, 30
    )


def test_a_calendar_without_workdays_fails_instead_of_looping() -> None:
    class Closed(Weekdays):
        def is_workday(self, day: date) -> bool:
            return False

    with pytest.raises(ValueError, match="no workday"):
        compute_deadline(at(2025, 1, 6), TimeLimit.parse("1d working"), Closed())


def test_naive_datetimes_are_refused_everywhere() -> None:
    naive, aware = datetime(2025, 11, 14, 10), at(2025, 11, 14, 10)
    limit = TimeLimit.parse("2h working")
    with pytest.raises(NaiveDatetime) as caught:
        compute_deadline(naive, limit, CHINA)
    assert caught.value.code == "naive_datetime" and "start" in str(caught.value)
    with pytest.raises(NaiveDatetime):
        elapsed(aware, naive, WORKING, CHINA)
    with pytest.raises(NaiveDatetime):
        warning_level(naive, aware, aware, limit, CHINA)
    with pytest.raises(NaiveDatetime):
        warning_level(aware, aware, naive, limit, CHINA)
    with pytest.raises(NaiveDatetime):
        shift_deadline(aware, naive, aware, WORKING, CHINA)
    with pytest.raises(NaiveDatetime):
        Deadline(naive)


# ----------------------------------------------------------------------------- elapsed, warnings, pauses


def test_elapsed_working_time_skips_the_golden_week() -> None:
    assert elapsed(at(2025, 9, 30, 10), at(2025, 10, 9, 10), WORKING, CHINA) == timedelta(hours=7, minutes=30)
    assert elapsed(at(2025, 10, 9, 10), at(2025, 9, 30, 10), WORKING, CHINA) == -timedelta(hours=7.5)
    assert elapsed(at(2025, 9, 30, 10), at(2025, 10, 9, 10), NATURAL, CHINA) == timedelta(days=9)
    assert elapsed(at(2025, 10, 4, 3), at(2025, 10, 5, 23), WORKING, CHINA) == timedelta(0)


def test_natural_warning_turns_yellow_at_80_percent_and_red_when_overdue() -> None:
    start, limit = at(2025, 11, 18, 10), TimeLimit.parse("2h natural")
    deadline = compute_deadline(start, limit, CHINA)

    def level(now: datetime) -> Warning:
        return warning_level(now, start, deadline, limit, CHINA)

    assert level(at(2025, 11, 18, 11, 30)) is Warning.NONE  # 75 %
    assert level(at(2025, 11, 18, 11, 36)) is Warning.YELLOW  # 80 %
    assert level(at(2025, 11, 18, 12)) is Warning.YELLOW  # due, not yet overdue
    assert level(at(2025, 11, 18, 12, 0, 1)) is Warning.RED
    assert warning_level(at(2025, 11, 18, 11), start, deadline, limit, CHINA, yellow_at=0.5) is Warning.YELLOW
    with pytest.raises(ValueError, match="yellow_at"):
        warning_level(start, start, deadline, limit, CHINA, yellow_at=1.0)


def test_working_warning_counts_only_working_time() -> None:
    start, limit = at(2025, 11, 14, 17), TimeLimit.parse("2h working")  # due Monday 10:00
    deadline = compute_deadline(start, limit, CHINA)

    def level(now: datetime) -> Warning:
        return warning_level(now, start, deadline.due, limit, CHINA)

    assert level(at(2025, 11, 16, 12)) is Warning.NONE  # Sunday: only 30 working minutes used
    assert level(at(2025, 11, 17, 9, 30)) is Warning.NONE  # 1.5 h of 2 h = 75 %
    assert level(at(2025, 11, 17, 9, 36)) is Warning.YELLOW
    assert level(at(2025, 11, 17, 10, 1)) is Warning.RED


def test_a_suspension_adds_the_paused_working_time_back() -> None:
    start, limit = at(2025, 11, 17, 9), TimeLimit.parse("2d working")  # due Wednesday 19 Nov 17:30
    deadline = compute_deadline(start, limit, CHINA)
    assert deadline.due == at(2025, 11, 19, 17, 30)
    # Paused Monday 14:00 to Tuesday 14:00: 3.5 + 3.5 + 0.5 = 7.5 working hours, one working day.
    shifted = shift_deadline(deadline.due, at(2025, 11, 17, 14), at(2025, 11, 18, 14), WORKING, CHINA)
    assert shifted == Deadline(at(2025, 11, 20, 17, 30), provisional=False)
    # Wednesday 12:00: with the pause credited 10.5 of the 22 working hours are used; without it, 18.
    assert warning_level(at(2025, 11, 19, 12), start, shifted, limit, CHINA) is Warning.NONE
    assert warning_level(at(2025, 11, 19, 12), start, deadline, limit, CHINA) is Warning.YELLOW
    assert warning_level(at(2025, 11, 20, 12), start, shifted, limit, CHINA) is Warning.YELLOW


def test_a_suspension_over_a_weekend_or_holiday_moves_nothing_in_working_time() -> None:
    due_at = at(2025, 10, 14, 17, 30)
    weekend = shift_deadline(due_at, at(2025, 10, 4), at(2025, 10, 6, 23), WORKING, CHINA)
    assert weekend.due == due_at
    across = shift_deadline(due_at, at(2025, 9, 30, 17), at(2025, 10, 9, 8, 30), WORKING, CHINA)
    assert across.due == at(2025, 10, 15, 9)  # half a working hour paused, added after the closing
    natural = shift_deadline(due_at, at(2025, 10, 4), at(2025, 10, 4, 5), NATURAL, CHINA)
    assert natural.due == due_at + timedelta(hours=5)
    with pytest.raises(InvalidPause):
        shift_deadline(due_at, at(2025, 10, 5), at(2025, 10, 4), NATURAL, CHINA)


# ----------------------------------------------------------------------------- properties


def reference_working_hours(start: datetime, amount: int) -> datetime:
    """A plain period-by-period walk, to check the prefix-sum arithmetic against."""
    need, local = timedelta(hours=amount), start.astimezone(BEIJING)
    day = local.date()
    while True:
        if CHINA.is_workday(day):
            for opening, closing in DEFAULT_WORKING_HOURS.periods:
                low = max(datetime.combine(day, opening, BEIJING), local)
                high = datetime.combine(day, closing, BEIJING)
                if high > low:
                    if high - low >= need:
                        return low + need
                    need -= high - low
        day += timedelta(days=1)


def reference_working_days(start: datetime, amount: int) -> datetime:
    local = start.astimezone(BEIJING)
    day = local.date()

    def next_workday(after: date) -> date:
        after += timedelta(days=1)
        while not CHINA.is_workday(after):
            after += timedelta(days=1)
        return after

    if not CHINA.is_workday(day) or local.time() >= time(17, 30):
        day = next_workday(day)
    for _ in range(amount):
        day = next_workday(day)
    return datetime.combine(day, time(17, 30), BEIJING)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(UTC)
)
modes, units = st.sampled_from(list(LimitMode)), st.sampled_from(list(LimitUnit))


@settings(deadline=None)
@given(start=instants, amount=st.integers(1, 120), unit=units, mode=modes)
def test_deadlines_lie_after_the_start_and_grow_with_the_amount(
    start: datetime, amount: int, unit: LimitUnit, mode: LimitMode
) -> None:
    first = compute_deadline(start, TimeLimit(amount, unit, mode), CHINA).due
    second = compute_deadline(start, TimeLimit(amount + 1, unit, mode), CHINA).due
    assert start < first < second


@settings(deadline=None)
@given(start=instants, amount=st.integers(1, 200))
def test_working_hours_deadline_matches_a_plain_walk_and_its_elapsed_time(
    start: datetime, amount: int
) -> None:
    deadline = compute_deadline(start, TimeLimit(amount, LimitUnit.HOURS, WORKING), CHINA).due
    assert deadline == reference_working_hours(start, amount)
    assert elapsed(start, deadline, WORKING, CHINA) == timedelta(hours=amount)


@settings(deadline=None)
@given(start=instants, amount=st.integers(1, 40))
def test_working_days_deadline_matches_a_plain_walk(start: datetime, amount: int) -> None:
    deadline = compute_deadline(start, TimeLimit(amount, LimitUnit.DAYS, WORKING), CHINA).due
    assert deadline == reference_working_days(start, amount)


@settings(deadline=None)
@given(a=instants, b=instants, c=instants)
def test_elapsed_working_time_adds_up(a: datetime, b: datetime, c: datetime) -> None:
    assert elapsed(a, b, WORKING, CHINA) + elapsed(b, c, WORKING, CHINA) == elapsed(a, c, WORKING, CHINA)
