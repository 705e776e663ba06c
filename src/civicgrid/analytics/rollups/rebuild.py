"""Rollups from raw cases: ``rebuild`` replaces them, ``check`` compares them with a fresh recomputation.

The finest cube (``full``, per local day) is computed in Python from each case row with the very function
the case repository maintains them with, one local day of cases at a time (memory stays bounded at any
size); every coarser cube and grain is then summed from it in SQL, which is exact (integer sums).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
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
    contribution,
    driver_time,
    rollup_zone,
)
from civicgrid.adapters.db.rollup_tables import COUNTS, DIMENSIONS, KEY, case_rollup_hours, case_rollups
from civicgrid.adapters.db.tables import cases

Progress = Callable[[int, int], None]  # (cases done, cases in all)

_HOURS_KEY = (*KEY, "measure", "slot")


def rebuild(conn: Connection, *, progress: Progress | None = None, zone: ZoneInfo | None = None) -> int:
    """Recompute every rollup from the raw cases, replacing the stored ones; returns the cases counted.

    Run it inside one transaction (``engine.begin()`` or a unit of work): readers see the old rollups until
    it commits, never a half-built one.
    """
    conn.execute(sa.delete(case_rollup_hours))
    conn.execute(sa.delete(case_rollups))
    return _fill(conn, case_rollups, case_rollup_hours, progress, zone or rollup_zone())


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
    """Recompute the rollups from raw cases into temporary tables and list where the stored ones differ.

    Use a connection that sees one snapshot (SQLite: one read transaction; PostgreSQL: REPEATABLE READ),
    or cases changed while it runs show up as differences.
    """
    temp = sa.MetaData()
    rows_t, hours_t = (_temporary(temp, f"check_{t.name}", t) for t in (case_rollups, case_rollup_hours))
    temp.create_all(conn)
    try:
        counted = _fill(conn, rows_t, hours_t, progress, zone or rollup_zone())
        found_rows, n_rows = _compare(conn, case_rollups, rows_t, KEY, COUNTS, "submitted", limit)
        found_hours, n_hours = _compare(conn, case_rollup_hours, hours_t, _HOURS_KEY, ("n",), "n", limit)
        stored_rows = conn.execute(sa.select(sa.func.count()).select_from(case_rollups)).scalar_one()
        stored_hours = conn.execute(sa.select(sa.func.count()).select_from(case_rollup_hours)).scalar_one()
    finally:
        temp.drop_all(conn)
    differences = (found_rows + found_hours)[:limit]
    return CheckReport(
        cases=counted,
        rows=int(stored_rows),
        hour_rows=int(stored_hours),
        differences=differences,
        total_differences=n_rows + n_hours,
    )


def _temporary(metadata: sa.MetaData, name: str, like: sa.Table) -> sa.Table:
    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in like.c]
    return sa.Table(name, metadata, *columns, prefixes=["TEMPORARY"])


def _compare(
    conn: Connection,
    stored: sa.Table,
    expected: sa.Table,
    key: tuple[str, ...],
    values: tuple[str, ...],
    nonzero: str,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    cols = (*key, *values)
    # A stored row whose count fell to zero is as good as no row.
    have = sa.select(*(stored.c[c] for c in cols)).where(stored.c[nonzero] != 0)
    want = sa.select(*(expected.c[c] for c in cols))
    extra = conn.execute(sa.except_(have, want)).all()
    missing = conn.execute(sa.except_(want, have)).all()
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for side, found in (("stored", extra), ("expected", missing)):
        for r in found:
            k = tuple(r[: len(key)])
            entry = by_key.setdefault(
                k, {"table": stored.name, **_key_dict(key, k), "stored": None, "expected": None}
            )
            entry[side] = dict(zip(values, r[len(key) :], strict=True))
    return list(by_key.values())[:limit], len(by_key)


def _key_dict(names: tuple[str, ...], k: tuple[Any, ...]) -> dict[str, Any]:
    return {n: (v.isoformat() if isinstance(v, date) else v) for n, v in zip(names, k, strict=True)}


def _fill(
    conn: Connection, rows_t: sa.Table, hours_t: sa.Table, progress: Progress | None, zone: ZoneInfo
) -> int:
    total = int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one())
    done = 0
    if progress:
        progress(0, total)
    first = sa.select(sa.func.min(cases.c.submitted_at))
    start: datetime | None = conn.execute(first).scalar()
    while start is not None:
        day = start.astimezone(zone).date()
        lo = datetime.combine(day, time(), tzinfo=zone)
        hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        # Driver level, both ways: at millions of cases SQLAlchemy's per-row processing costs more than the
        # work (contribution() takes raw driver values, SQLite's text timestamps included).
        window = conn.exec_driver_sql(
            _window_sql(conn), (driver_time(conn.dialect.name, lo), driver_time(conn.dialect.name, hi))
        )
        done += _store_day(conn, rows_t, hours_t, window, zone)
        if progress:
            progress(done, total)
        start = conn.execute(first.where(cases.c.submitted_at >= hi)).scalar()
    for cube in CUBES:
        for grain in cube.grains:
            if cube.name != "full" or grain != DAY:
                _sum_from_full(conn, rows_t, hours_t, cube.name, cube.dims, grain)
    return done


def _store_day(conn: Connection, rows_t: sa.Table, hours_t: sa.Table, window: Any, zone: ZoneInfo) -> int:
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
            _insert_sql(conn, rows_t, (*KEY, *COUNTS)),
            [(*k[:2], day_value(k[2]), *k[3:], *v) for k, v in acc.items()],
        )
    if hours:
        conn.exec_driver_sql(
            _insert_sql(conn, hours_t, (*_HOURS_KEY, "n")),
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


def _sum_from_full(
    conn: Connection, rows_t: sa.Table, hours_t: sa.Table, cube: str, dims: frozenset[str], grain: str
) -> None:
    for table, extra, values in ((rows_t, (), COUNTS), (hours_t, ("measure", "slot"), ("n",))):
        bucket = bucket_of(conn, grain, table.c.bucket)
        keep = [table.c[d] for d in DIMENSIONS if d in dims]
        select = (
            sa.select(
                sa.literal(cube),
                sa.literal(grain),
                bucket,
                *(table.c[d] if d in dims else sa.literal("") for d in DIMENSIONS),
                *(table.c[e] for e in extra),
                *(sa.func.sum(table.c[v]) for v in values),
            )
            .where(table.c.cube == "full", table.c.grain == DAY)
            .group_by(bucket, *keep, *(table.c[e] for e in extra))
        )
        conn.execute(sa.insert(table).from_select([*KEY, *extra, *values], select))
