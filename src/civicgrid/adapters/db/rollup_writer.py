"""Moves case contributions in the rollups, inside the transaction of the case change.

The case repository gathers every change of a unit of work in a ``RollupDelta`` (old contribution out, new
one in); the unit of work flushes it just before its commit as upserts (``INSERT ... ON CONFLICT DO
UPDATE SET n = n + excluded.n``, the same statement on SQLite and PostgreSQL). Rows are written in key
order, so two PostgreSQL transactions touching the same rows lock them in the same order and never
deadlock; a batch of reports that share a day and area pays one upsert per row, not one per report.

The upserts go to the driver's ``executemany`` as plain tuples: a new case moves ten rollup rows (five
cubes, their grains) of 24 values each, and SQLAlchemy's per-row parameter handling cost more than the
upserts themselves, inside the write lock that every other writer waits for (bench/intake.py). A bulk
load's deltas (hundreds of thousands of rows) go to PostgreSQL by COPY into a temporary table and one
set-based upsert from it: each row of an ``executemany`` is a round trip of its own there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_model import Contribution
from civicgrid.adapters.db.rollup_tables import COUNTS, KEY, case_rollup_hours, case_rollups

RowKey = tuple[Any, ...]  # (cube, grain, bucket, *dimensions)
_HOURS_KEY = (*KEY, "measure", "slot")


class RollupDelta:
    """The pending change of the rollups in one transaction."""

    def __init__(self) -> None:
        self.rows: dict[RowKey, list[int]] = {}
        self.hours: defaultdict[RowKey, int] = defaultdict(int)

    def add(self, c: Contribution, sign: int = 1) -> None:
        """Count a contribution in (``sign`` 1) or out (-1)."""
        width = len(COUNTS)
        counted = [(i, sign * v) for i, v in enumerate(c.counts) if v]
        rows, hours = self.rows, self.hours
        for key in c.row_keys():
            acc = rows.get(key)
            if acc is None:
                acc = rows[key] = [0] * width
            for i, v in counted:
                acc[i] += v
            if c.accept_slot is not None:
                hours[(*key, "accept", c.accept_slot)] += sign
            if c.close_slot is not None:
                hours[(*key, "close", c.close_slot)] += sign

    def discard(self) -> None:
        """Forget the pending change (the transaction was rolled back)."""
        self.rows.clear()
        self.hours.clear()

    def move(self, old: Contribution | None, new: Contribution) -> None:
        """A case changed from ``old`` (None: it is new) to ``new``."""
        if old == new:
            return
        if old is not None:
            self.add(old, -1)
        self.add(new, 1)

    def flush(self, conn: Connection, *, bulk: bool = False) -> None:
        """Apply the pending change and forget it (``bulk``: a big one, staged on PostgreSQL)."""
        rows = sorted((k, v) for k, v in self.rows.items() if any(v))
        hours = sorted((k, n) for k, n in self.hours.items() if n)
        self.rows.clear()
        self.hours.clear()
        upsert = _staged_upsert if bulk and conn.dialect.name == "postgresql" else _upsert
        if rows:
            day = _day_encoder(conn)
            upsert(conn, "rows", [(*k[:2], day(k[2]), *k[3:], *v) for k, v in rows])
            # A row whose cases all moved elsewhere (another department, a re-categorised case) goes away,
            # so the rollups hold exactly the rows a rebuild from raw cases would.
            emptied = [_params(KEY, k) for k, v in rows if v[0] < 0]  # 'submitted' fell
            if emptied:
                conn.execute(_delete_empty(case_rollups, KEY, "submitted"), emptied)
        if hours:
            day = _day_encoder(conn)
            upsert(conn, "hours", [(*k[:2], day(k[2]), *k[3:], n) for k, n in hours])
            emptied = [_params(_HOURS_KEY, k) for k, n in hours if n < 0]
            if emptied:
                conn.execute(_delete_empty(case_rollup_hours, _HOURS_KEY, "n"), emptied)


def _params(names: tuple[str, ...], key: RowKey) -> dict[str, Any]:
    return {f"k_{name}": value for name, value in zip(names, key, strict=True)}


_STATEMENTS: dict[tuple[str, str, str], str] = {}


def _table(which: str) -> tuple[sa.Table, tuple[str, ...], tuple[str, ...]]:
    return (case_rollups, KEY, COUNTS) if which == "rows" else (case_rollup_hours, _HOURS_KEY, ("n",))


def _on_conflict(which: str) -> str:
    table, key, values = _table(which)
    added = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in values)
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"


def _upsert(conn: Connection, which: str, params: list[tuple[Any, ...]]) -> None:
    """One upsert per row, by the driver's ``executemany``."""
    conn.exec_driver_sql(_upsert_sql(conn, which), params)


def _upsert_sql(conn: Connection, which: str) -> str:
    """The upsert of one table in the driver's own parameter style (built once per dialect)."""
    dialect = conn.dialect
    found = _STATEMENTS.get((dialect.name, dialect.paramstyle, which))
    if found is None:
        table, key, values = _table(which)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        columns = (*key, *values)
        found = _STATEMENTS[(dialect.name, dialect.paramstyle, which)] = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
            + _on_conflict(which)
        )
    return found


def _staged_upsert(conn: Connection, which: str, params: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: the rows by COPY into a temporary table, then one upsert of all of them, in key order
    as ``flush`` sorts it (text by code point: ``COLLATE "C"``, whatever the database's collation), so it
    locks shared rows in the order the row-by-row upsert of any other writer does. The rows' keys are
    unique (one per delta key), as ``ON CONFLICT DO UPDATE`` requires of one statement."""
    table, key, values = _table(which)
    stage, columns = f"{table.name}_stage", ", ".join((*key, *values))
    order = ", ".join(f'{k} COLLATE "C"' if isinstance(table.c[k].type, sa.String) else k for k in key)
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cur:
        # Kept for the session, emptied at each commit; a column-for-column copy without the key.
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} ORDER BY {order} "
            + _on_conflict(which)
        )
        cur.execute(f"TRUNCATE {stage}")


def _day_encoder(conn: Connection) -> Callable[[date], Any]:
    """Buckets as the column stores them: SQLite holds SQLAlchemy's ISO text, PostgreSQL a date."""
    return date.isoformat if conn.dialect.name == "sqlite" else _same


def _same(value: date) -> date:
    return value


def _delete_empty(table: sa.Table, key: tuple[str, ...], column: str) -> sa.Delete:
    return sa.delete(table).where(
        *(table.c[name] == sa.bindparam(f"k_{name}") for name in key), table.c[column] == 0
    )
