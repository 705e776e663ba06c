"""Rollups from raw cases: ``rebuild`` replaces them, ``check`` compares them with a fresh recomputation.

Both go one local month of cases at a time, so their working tables hold a month's rows at any size of
history (and the year's running sums of its months, far fewer). The finest cube (``full``, per local day)
is computed in Python from each case row with the very function the case repository maintains them with,
one local day at a time; every coarser cube's days and months are summed from it in SQL, which is exact
(integer sums), and a year's rows from the partial sums of its months once its last month is done.
``check`` compares each month's recount with the stored rows of that month (each year's with the year's)
and then lets it go; stored rows outside the cases' months, or of no known cube, are differences as such.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_model import (
    CUBES,
    DAY,
    MONTH,
    ROW_COLUMNS,
    YEAR,
    contribution,
    driver_time,
    rollup_zone,
)
from civicgrid.adapters.db.rollup_tables import COUNTS, DIMENSIONS, KEY, case_rollup_hours, case_rollups
from civicgrid.adapters.db.tables import cases

Progress = Callable[[int, int], None]  # (cases done, cases in all)


@dataclass(frozen=True)
class _Kind:
    """One of the two rollup tables as the recount sees it: its key, its values, and its "any cases" value."""

    extra: tuple[str, ...]  # key columns after KEY
    values: tuple[str, ...]
    nonzero: str  # a stored row where this is 0 holds no case: as good as no row

    @property
    def key(self) -> tuple[str, ...]:
        return (*KEY, *self.extra)


_ROWS = _Kind((), COUNTS, "submitted")
_HOURS = _Kind(("measure", "slot"), ("n",), "n")


@dataclass(frozen=True)
class _Tables:
    """Where a recount writes: a table for the counts and one for the duration histograms."""

    rows: sa.Table
    hours: sa.Table

    def each(self) -> Iterator[tuple[sa.Table, _Kind]]:
        yield self.rows, _ROWS
        yield self.hours, _HOURS


_STORED = _Tables(case_rollups, case_rollup_hours)
# Every (cube, grain) a month's days hold whole; those summed from the full cube's days (the recount itself).
_MONTHLY = [(c, g) for c in CUBES for g in c.grains if g != YEAR]
_SUMMED = [(c, g) for c, g in _MONTHLY if (c.name, g) != ("full", DAY)]
_YEARLY = [c for c in CUBES if YEAR in c.grains]


def rebuild(conn: Connection, *, progress: Progress | None = None, zone: ZoneInfo | None = None) -> int:
    """Recompute every rollup from the raw cases, replacing the stored ones; returns the cases counted.

    Run it inside one transaction (``engine.begin()`` or a unit of work): readers see the old rollups until
    it commits, never a half-built one.
    """
    conn.execute(sa.delete(case_rollup_hours))
    conn.execute(sa.delete(case_rollups))
    zone = zone or rollup_zone()
    return _recount(conn, _STORED, zone, progress, _months(conn, zone))


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: rows compared and every difference (stored vs recomputed)."""

    cases: int
    rows: int
    hour_rows: int
    differences: list[dict[str, Any]] = field(default_factory=list)
    total_differences: int = 0

    @property
    def ok(self) -> bool:
        """True when the rollups equal a recomputation from raw cases."""
        return self.total_differences == 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "ok": self.ok,
            "cases": self.cases,
            "rows": self.rows,
            "hour_rows": self.hour_rows,
            "total_differences": self.total_differences,
            "differences": self.differences,
        }


def check(
    conn: Connection, *, progress: Progress | None = None, zone: ZoneInfo | None = None, limit: int = 100
) -> CheckReport:
    """Recompute the rollups from raw cases, a month at a time, and list where the stored ones differ.

    Every stored row is compared: those of each month (and year) of cases with its recount; rows outside
    those months, or of no known cube or grain, are differences by themselves. Use a connection that sees
    one snapshot (SQLite: one read transaction; PostgreSQL: REPEATABLE READ), or cases changed while it
    runs show up as differences. Its temporary tables are dropped when it returns; if it raises, rolling
    the transaction back drops them.
    """
    temp = sa.MetaData()
    recount = _Tables(*(_temporary(temp, f"check_{t.name}", t) for t in (case_rollups, case_rollup_hours)))
    temp.create_all(conn)
    found = _Differences(limit)

    def month_done(first: date, after: date) -> None:
        for cube, grain in _MONTHLY:
            found.compare(conn, recount, _in(cube.name, grain, first, after))
        _clear(conn, recount)

    def year_done(first: date, after: date) -> None:
        for cube in _YEARLY:
            found.compare(conn, recount, _in(cube.name, YEAR, first, after))
        _clear(conn, recount)

    zone = zone or rollup_zone()
    months = _months(conn, zone)
    counted = _recount(conn, recount, zone, progress, months, month_done=month_done, year_done=year_done)
    # What no month of cases accounts for (the recount tables are empty now).
    for cube in CUBES:
        for grain in cube.grains:
            found.compare(conn, recount, _outside(cube.name, grain, months))
    known = [(c.name, g) for c in CUBES for g in c.grains]
    found.compare(
        conn,
        recount,
        lambda t: sa.not_(sa.or_(*(sa.and_(t.c.cube == c, t.c.grain == g) for c, g in known))),
    )
    stored_rows, stored_hours = (
        conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t, _ in _STORED.each()
    )
    temp.drop_all(conn)
    return CheckReport(
        cases=counted,
        rows=int(stored_rows),
        hour_rows=int(stored_hours),
        differences=found.listed,
        total_differences=found.total,
    )


Where = Callable[[sa.Table], sa.ColumnElement[bool]]


def _in(cube: str, grain: str, first: date, after: date) -> Where:
    """The rows of one cube and grain whose bucket lies in [first, after)."""
    return lambda t: sa.and_(t.c.cube == cube, t.c.grain == grain, t.c.bucket >= first, t.c.bucket < after)


def _outside(cube: str, grain: str, months: list[date]) -> Where:
    """The rows of one cube and grain whose bucket lies outside the months (their years, for year rows)."""
    if not months:
        return lambda t: sa.and_(t.c.cube == cube, t.c.grain == grain)
    first, after = months[0], _next_month(months[-1])
    if grain == YEAR:
        first, after = first.replace(month=1), date(months[-1].year + 1, 1, 1)
    return lambda t: sa.and_(
        t.c.cube == cube, t.c.grain == grain, sa.or_(t.c.bucket < first, t.c.bucket >= after)
    )


class _Differences:
    """Differences between stored rows and a recount, counted in full and listed up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.listed: list[dict[str, Any]] = []
        self.total = 0

    def compare(self, conn: Connection, recount: _Tables, where: Where) -> None:
        for (stored, kind), (expected, _) in zip(_STORED.each(), recount.each(), strict=True):
            cols = (*kind.key, *kind.values)
            have = sa.select(*(stored.c[c] for c in cols)).where(where(stored), stored.c[kind.nonzero] != 0)
            want = sa.select(*(expected.c[c] for c in cols)).where(where(expected))
            by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
            for side, query in (("stored", sa.except_(have, want)), ("expected", sa.except_(want, have))):
                for r in conn.execute(query):
                    k = tuple(r[: len(kind.key)])
                    entry = by_key.setdefault(
                        k, {"table": stored.name, **_key_dict(kind.key, k), "stored": None, "expected": None}
                    )
                    entry[side] = dict(zip(kind.values, r[len(kind.key) :], strict=True))
            self.total += len(by_key)
            self.listed.extend(list(by_key.values())[: self.limit - len(self.listed)])


def _key_dict(names: tuple[str, ...], k: tuple[Any, ...]) -> dict[str, Any]:
    return {n: (v.isoformat() if isinstance(v, date) else v) for n, v in zip(names, k, strict=True)}


def _temporary(metadata: sa.MetaData, name: str, like: sa.Table, *, keyed: bool = True) -> sa.Table:
    columns = [
        sa.Column(c.name, c.type, primary_key=keyed and c.primary_key, nullable=c.nullable) for c in like.c
    ]
    return sa.Table(name, metadata, *columns, prefixes=["TEMPORARY"])


def _clear(conn: Connection, tables: _Tables) -> None:
    for table, _ in tables.each():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {table.name}")  # DELETE would leave the month's dead rows behind
        else:
            conn.execute(sa.delete(table))


def _recount(
    conn: Connection,
    into: _Tables,
    zone: ZoneInfo,
    progress: Progress | None,
    months: list[date],
    *,
    month_done: Callable[[date, date], None] | None = None,
    year_done: Callable[[date, date], None] | None = None,
) -> int:
    """Count the cases of ``months`` (``_months``) into ``into``, a month at a time; returns the cases.

    ``month_done(first, after)`` runs once a month's day and month rows are in (and may clear them),
    ``year_done`` once a year's rows are.
    """
    total = int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one())
    done = 0

    def counted(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    counted(0)
    # A year's rows are summed from its months' partial sums (in keyless tables) when its last month is done.
    temp = sa.MetaData()
    partial = _Tables(
        *(_temporary(temp, f"year_{t.name}", t, keyed=False) for t in (case_rollups, case_rollup_hours))
    )
    temp.create_all(conn)
    for i, first in enumerate(months):
        after = _next_month(first)
        _count_days(conn, into, zone, first, after, counted)
        for cube, grain in _SUMMED:
            _sum_days(conn, into, into, cube.name, cube.dims, grain, first, after)
        for cube in _YEARLY:
            _sum_days(conn, into, partial, cube.name, cube.dims, YEAR, first, after)
        if month_done:
            month_done(first, after)
        if i == len(months) - 1 or after.year != first.year:
            _add_up(conn, partial, into)
            _clear(conn, partial)
            if year_done:
                year_done(first.replace(month=1), date(first.year + 1, 1, 1))
    temp.drop_all(conn)
    return done


def _months(conn: Connection, zone: ZoneInfo) -> list[date]:
    """The first days of every local month from the earliest case's to the latest's."""
    span = conn.execute(sa.select(sa.func.min(cases.c.submitted_at), sa.func.max(cases.c.submitted_at))).one()
    if span[0] is None:
        return []
    month, last = (moment.astimezone(zone).date() for moment in span)
    month = month.replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _count_days(
    conn: Connection, into: _Tables, zone: ZoneInfo, first: date, after: date, counted: Callable[[int], None]
) -> None:
    """The full cube's rows of the local days in [first, after) from the raw cases; ``counted`` each day."""
    earliest = sa.select(sa.func.min(cases.c.submitted_at))
    end = datetime.combine(after, time(), tzinfo=zone)
    lo = datetime.combine(first, time(), tzinfo=zone)
    start: datetime | None = conn.execute(
        earliest.where(cases.c.submitted_at >= lo, cases.c.submitted_at < end)
    ).scalar()
    while start is not None:
        day = start.astimezone(zone).date()
        lo = datetime.combine(day, time(), tzinfo=zone)
        hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        # Driver level, both ways: at millions of cases SQLAlchemy's per-row processing costs more than the
        # work (contribution() takes raw driver values, SQLite's text timestamps included).
        window = conn.exec_driver_sql(
            _window_sql(conn), (driver_time(conn.dialect.name, lo), driver_time(conn.dialect.name, hi))
        )
        counted(_store_day(conn, into, window, zone))
        start = conn.execute(earliest.where(cases.c.submitted_at >= hi, cases.c.submitted_at < end)).scalar()


def _store_day(conn: Connection, into: _Tables, window: Any, zone: ZoneInfo) -> int:
    acc: dict[tuple[Any, ...], list[int]] = {}
    hours: defaultdict[tuple[Any, ...], int] = defaultdict(int)
    n = 0
    for r in window:
        n += 1
        c = contribution(r._mapping, zone)
        key = ("full", DAY, c.day, *c.dims)
        counts = acc.get(key)
        if counts is None:
            counts = acc[key] = [0] * len(COUNTS)
        for i, v in enumerate(c.counts):
            counts[i] += v
        if c.accept_slot is not None:
            hours[(*key, "accept", c.accept_slot)] += 1
        if c.close_slot is not None:
            hours[(*key, "close", c.close_slot)] += 1
    day_value = (lambda d: d) if conn.dialect.name == "postgresql" else date.isoformat
    if acc:
        conn.exec_driver_sql(
            _insert_sql(conn, into.rows, (*_ROWS.key, *_ROWS.values)),
            [(*k[:2], day_value(k[2]), *k[3:], *v) for k, v in acc.items()],
        )
    if hours:
        conn.exec_driver_sql(
            _insert_sql(conn, into.hours, (*_HOURS.key, *_HOURS.values)),
            [(*k[:2], day_value(k[2]), *k[3:], v) for k, v in hours.items()],
        )
    return n


def _placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def _window_sql(conn: Connection) -> str:
    p = _placeholder(conn)
    columns = ", ".join(ROW_COLUMNS)
    return f"SELECT {columns} FROM cases WHERE submitted_at >= {p} AND submitted_at < {p}"


def _insert_sql(conn: Connection, table: sa.Table, columns: tuple[str, ...]) -> str:
    p = _placeholder(conn)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(p for _ in columns)})"


def bucket_of(conn: Connection, grain: str, day: Any) -> Any:
    """The SQL for the bucket of a day column at ``grain``: the day, or the first day of its month or year."""
    if grain == DAY:
        return day
    unit = "month" if grain == MONTH else "year"
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.date_trunc(unit, day), sa.Date)
    return sa.func.date(day, f"start of {unit}")


def _sum_days(
    conn: Connection,
    source: _Tables,
    into: _Tables,
    cube: str,
    dims: frozenset[str],
    grain: str,
    first: date,
    after: date,
) -> None:
    """One cube's rows at ``grain`` summed from the full cube's days in [first, after)."""
    for (table, kind), (target, _) in zip(source.each(), into.each(), strict=True):
        bucket = bucket_of(conn, grain, table.c.bucket)
        keep = [table.c[d] for d in DIMENSIONS if d in dims]
        select = (
            sa.select(
                sa.literal(cube),
                sa.literal(grain),
                bucket,
                *(table.c[d] if d in dims else sa.literal("") for d in DIMENSIONS),
                *(table.c[e] for e in kind.extra),
                *(sa.func.sum(table.c[v]) for v in kind.values),
            )
            .where(
                table.c.cube == "full", table.c.grain == DAY, table.c.bucket >= first, table.c.bucket < after
            )
            .group_by(bucket, *keep, *(table.c[e] for e in kind.extra))
        )
        conn.execute(sa.insert(target).from_select([*kind.key, *kind.values], select))


def _add_up(conn: Connection, partial: _Tables, into: _Tables) -> None:
    """Rows summed from the partial sums of their key (a year's from its months')."""
    for (table, kind), (target, _) in zip(partial.each(), into.each(), strict=True):
        key = [table.c[c] for c in kind.key]
        select = sa.select(*key, *(sa.func.sum(table.c[v]) for v in kind.values)).group_by(*key)
        conn.execute(sa.insert(target).from_select([*kind.key, *kind.values], select))
