"""A period splits into raw edges and rollup pieces that count every local day inside it exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.adapters.db.rollup_model import DAY, MONTH, YEAR
from civicgrid.analytics.rollups.query import midnight, split_period

ZONE = ZoneInfo("Asia/Shanghai")
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


def days_of(pieces: list[tuple[str, date, date, int]]) -> Counter[date]:
    counted: Counter[date] = Counter()
    for _grain, a, b, sign in pieces:
        day = a
        while day < b:
            counted[day] += sign
            day += timedelta(days=1)
    return counted


@given(
    start=moments,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)),
    grains=st.sampled_from([(DAY,), (DAY, MONTH), (DAY, MONTH, YEAR)]),
)
def test_every_moment_of_a_period_is_counted_once(
    start: datetime, length: timedelta, grains: tuple[str, ...]
) -> None:
    end = start + length
    edges, pieces = split_period(start, end, ZONE, grains=grains)
    counted = +days_of(pieces)  # drop the days a month's subtraction netted to zero
    assert all(n == 1 for n in counted.values())
    covered = sorted([(midnight(d, ZONE), midnight(d + timedelta(days=1), ZONE)) for d in counted] + edges)
    if start >= end:
        assert covered == []
        return
    assert covered[0][0] == start and covered[-1][1] == end
    assert all(a[1] == b[0] for a, b in pairwise(covered))  # no gap, no overlap
    assert len(edges) <= 2
    assert {p[0] for p in pieces} <= set(grains)


def test_the_last_365_days_read_twelve_months_and_two_days() -> None:
    _, pieces = split_period(
        datetime(2025, 12, 2, tzinfo=ZONE), datetime(2026, 12, 2, tzinfo=ZONE), ZONE, grains=(DAY, MONTH)
    )
    assert sorted((g, s) for g, _a, _b, s in pieces) == [("d", -1), ("d", 1), ("m", 1)]


def test_with_year_rows_a_year_to_today_reads_a_year_and_a_month() -> None:
    # The command centre's "365 days to 30 November 2026": December 2025, and 2026 less its December (no
    # cases yet: that query finds no rows).
    _, pieces = split_period(
        datetime(2025, 12, 1, tzinfo=ZONE),
        datetime(2026, 12, 1, tzinfo=ZONE),
        ZONE,
        grains=(DAY, MONTH, YEAR),
    )
    assert sorted(pieces) == [
        ("m", date(2025, 12, 1), date(2026, 1, 1), 1),
        ("m", date(2026, 12, 1), date(2027, 1, 1), -1),
        ("y", date(2026, 1, 1), date(2027, 1, 1), 1),
    ]


def test_a_period_inside_one_month_never_reads_its_year() -> None:
    _, pieces = split_period(
        datetime(2026, 3, 3, tzinfo=ZONE), datetime(2026, 3, 9, tzinfo=ZONE), ZONE, grains=(DAY, MONTH, YEAR)
    )
    assert pieces == [("d", date(2026, 3, 3), date(2026, 3, 9), 1)]


def test_the_previous_period_stays_within_the_calendar() -> None:
    from civicgrid.analytics.figures import previous_period
    from civicgrid.domain.periods import EARLIEST, LATEST

    assert previous_period(LATEST, EARLIEST) == (LATEST, LATEST)  # reversed: nothing before it
    assert previous_period(EARLIEST, LATEST) == (EARLIEST, EARLIEST)  # nothing can predate 1900
    a, b = datetime(2026, 11, 9, tzinfo=ZONE), datetime(2026, 11, 16, tzinfo=ZONE)
    assert previous_period(a, b) == (datetime(2026, 11, 2, tzinfo=ZONE), a)


# Zones with their clocks moved at midnight (Santiago, Havana), at 01:00 (London), half an hour off (St
# John's), a day ahead (Kiritimati, UTC+14) or behind (Pago Pago, UTC-11); and the district's own.
ZONES = [
    ZoneInfo(name)
    for name in (
        "Asia/Shanghai",
        "America/Santiago",
        "America/Havana",
        "Europe/London",
        "America/St_Johns",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    )
]
# Local wall times anywhere in the calendar, and near its two ends.
walls = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(2, 3, 1)),
    st.datetimes(min_value=datetime(9998, 11, 1), max_value=datetime(9999, 12, 30)),
)
LAST_WALL = datetime(9999, 12, 31, 12)  # the last day's noon is a moment (in UTC) from each of the ZONES


def net_count(pieces: list[tuple[str, date, date, int]], day: date) -> int:
    return sum(sign for _grain, a, b, sign in pieces if a <= day < b)


def moments_after(start: datetime, offsets: list[timedelta], zone: ZoneInfo) -> list[tuple[datetime, date]]:
    """The moments ``start`` plus each offset (in UTC) with their local day, those the calendar holds."""
    found = []
    for offset in [timedelta(0), *offsets]:
        try:
            t = start.astimezone(UTC) + offset
            found.append((t, t.astimezone(zone).date()))
        except OverflowError:
            continue
    return found


@given(
    zone=st.sampled_from(ZONES),
    wall=walls,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)),
    grains=st.sampled_from([(DAY,), (DAY, MONTH), (DAY, MONTH, YEAR)]),
    offsets=st.lists(st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=802)), max_size=8),
)
def test_in_any_zone_and_up_to_the_calendar_ends_each_moment_inside_is_counted_once(
    zone: ZoneInfo,
    wall: datetime,
    length: timedelta,
    grains: tuple[str, ...],
    offsets: list[timedelta],
) -> None:
    start = wall.replace(tzinfo=zone)
    end = (wall + min(length, LAST_WALL - wall)).replace(tzinfo=zone)
    edges, pieces = split_period(start, end, zone, grains=grains)
    utc = [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in edges]
    for t, day in moments_after(start, offsets, zone):
        in_days, in_edges = net_count(pieces, day), sum(a <= t < b for a, b in utc)
        assert in_days in (0, 1)
        assert in_days + in_edges == (start <= t < end)  # once if inside, never outside
