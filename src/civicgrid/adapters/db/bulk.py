"""Bulk loading of finished case histories: the repository's rows, written by the driver in big batches.

A row is made exactly as ``CaseRepository.add_many`` makes it (``_to_row``, ``_event_row``, the case
number) and passed through the bind processors SQLAlchemy itself would apply for the dialect, so the
stored values are the same; only the way they reach the database differs: ``executemany`` on the
SQLite driver, ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3), instead of SQLAlchemy's statement
machinery. ``tests/integration/test_simulate.py`` compares both databases row by row.

Everything happens in the caller's one transaction: a load is stored whole or not at all.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from civicgrid.adapters.db.case_repository import _event_row, _to_row, case_number
from civicgrid.adapters.db.engine import writer_gate
from civicgrid.adapters.db.rollup_writer import RollupDelta
from civicgrid.adapters.db.tables import case_events, cases
from civicgrid.domain.cases import Case

Row = tuple[Any, ...]
_EVENT_COLUMNS = [c for c in case_events.columns if c.name != "id"]  # the database numbers events


def _processors(columns: Sequence[sa.Column[Any]], dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    return [_fast(c.type._cached_bind_processor(dialect), c.type) for c in columns]


def _fast(proc: Callable[[Any], Any] | None, kind: Any) -> Callable[[Any], Any] | None:
    """A JSON column's processor with its output for an empty list or dict remembered (most events carry
    no data and no attachments); the same text, without a ``json.dumps`` per row."""
    if proc is None or not isinstance(kind, sa.JSON):
        return proc
    empty: dict[type, Any] = {list: proc([]), dict: proc({})}

    def process(value: Any) -> Any:
        if not value and type(value) in empty:
            return empty[type(value)]
        return proc(value)

    return process


class RowEncoder:
    """Cases and their events as driver-ready tuples for one dialect, in table column order."""

    def __init__(self, dialect: Dialect) -> None:
        self._case = _encoder([c.name for c in cases.columns], _processors(list(cases.columns), dialect))
        self._event = _encoder([c.name for c in _EVENT_COLUMNS], _processors(_EVENT_COLUMNS, dialect))

    def row(self, case: Case) -> dict[str, Any]:
        """The row ``add_many`` stores for a case whose id was chosen in advance (Python values)."""
        assert case.id is not None, "a bulk load needs ids chosen in advance"
        # The bulk path writes no ``case_photos`` links (simulated cases have no photos): a photo stored
        # here would be invisible to everyone, so it is refused instead.
        if case.photos or any(e.attachments for e in case.new_events):
            raise ValueError("the bulk path stores cases without photos; use CaseRepository.add_many")
        case.number = case_number(case.id, case.submitted_at)
        case.version = 1
        row = _to_row(case)
        row.update(id=case.id, version=1, tracking_hash=None)
        return row

    def case(self, row: dict[str, Any]) -> Row:
        """A case row as the driver takes it."""
        return self._case(row)

    def events(self, case: Case) -> list[Row]:
        """The rows of the case's new events."""
        encode = self._event
        return [encode(_event_row(case.id, e)) for e in case.new_events]


def _encoder(names: list[str], procs: list[Callable[[Any], Any] | None]) -> Callable[[dict[str, Any]], Row]:
    """A function from a row (a dict) to its values in column order, each through its bind processor."""
    values_of = operator.itemgetter(*names)
    processed = [(i, proc) for i, proc in enumerate(procs) if proc is not None]

    def encode(row: dict[str, Any]) -> Row:
        values = list(values_of(row))
        for i, proc in processed:
            values[i] = proc(values[i])
        return tuple(values)

    return encode


class BulkWriter:
    """Writes encoded rows inside the connection's open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        case_cols = ", ".join(f'"{c.name}"' for c in cases.columns)
        event_cols = ", ".join(f'"{c.name}"' for c in _EVENT_COLUMNS)
        if self.dialect == "postgresql":
            self._copy_cases = f"COPY cases ({case_cols}) FROM STDIN"
            self._copy_events = f"COPY case_events ({event_cols}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in cases.columns)
            self._insert_cases = f"INSERT INTO cases ({case_cols}) VALUES ({marks})"
            marks = ", ".join("?" for _ in _EVENT_COLUMNS)
            self._insert_events = f"INSERT INTO case_events ({event_cols}) VALUES ({marks})"

    def write(self, case_rows: Sequence[Row], event_rows: Sequence[Row], rollups: RollupDelta) -> None:
        """Cases first (events point at them), in the order given (event ids follow it), then their share
        of the figures' rollups (added to what is there, as the unit of work does at commit)."""
        driver = self.conn.connection.driver_connection
        assert driver is not None
        if self.dialect == "postgresql":
            with driver.cursor() as cur:
                for statement, rows in ((self._copy_cases, case_rows), (self._copy_events, event_rows)):
                    with cur.copy(statement) as copy:
                        for row in rows:
                            copy.write_row(row)
        else:
            cur = driver.cursor()
            try:
                cur.executemany(self._insert_cases, case_rows)
                cur.executemany(self._insert_events, event_rows)
            finally:
                cur.close()
        rollups.flush(self.conn, bulk=True)

    def finish(self) -> None:
        """Move PostgreSQL's id sequence past the ids chosen in advance (as ``add_many`` does)."""
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
            )


def reserve_ids(conn: Connection, count: int) -> int:
    """The first of ``count`` consecutive case ids nobody else will take; call inside the load's transaction.

    SQLite: the load holds the write lock, so max(id) + 1 cannot race. PostgreSQL: intake numbers cases
    from the id sequence, so the sequence is moved past the range at once (sequences ignore rollbacks:
    an interrupted load leaves a gap in the ids, never a clash).
    """
    top = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0))).scalar_one())
    if conn.dialect.name != "postgresql":
        return top + 1
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('cases', 'id')").scalar_one()
    last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
    first = max(top + 1, int(last) + 1 if called else int(last))
    if count:
        conn.exec_driver_sql(f"SELECT setval('{sequence}', {first + count - 1})")
    return first


@contextmanager
def bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole load, committed when the block ends without error.

    SQLite: other civicgrid writers queue (the writer gate and ``BEGIN IMMEDIATE``). When no other
    connection has the file open, the load runs with the rollback journal instead of WAL, because one
    huge transaction in WAL mode first writes every page to the WAL and then again to the database;
    an appended page needs no journal at all. A bigger page cache saves re-reading index pages. Both go
    back as they were afterwards; a killed load leaves a hot journal that SQLite rolls back on the next
    open, and the next civicgrid connection turns WAL on again. Durability (synchronous=FULL) is not
    relaxed. PostgreSQL: a plain transaction.
    """
    gate = writer_gate(engine)
    if gate is not None:
        gate.acquire()
    try:
        engine.dispose()  # idle pooled connections of this process would keep WAL mode pinned
        with engine.connect() as conn:
            tuned = conn.dialect.name == "sqlite" and _tune_sqlite(conn)
            try:
                sqlite = conn.dialect.name == "sqlite"
                with conn.execution_options(sqlite_begin="IMMEDIATE").begin() if sqlite else conn.begin():
                    yield conn
            finally:
                if tuned:
                    _untune_sqlite(conn)
    finally:
        if gate is not None:
            gate.release()


_CACHE_KIB = 1_048_576  # 1 GiB of page cache during a load


def _tune_sqlite(conn: Connection) -> bool:
    driver: Any = conn.connection.driver_connection
    try:
        mode = driver.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:  # another connection holds the file: stay in WAL
        mode = "wal"
    driver.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    return str(mode).lower() == "delete"


def _untune_sqlite(conn: Connection) -> None:
    driver: Any = conn.connection.driver_connection
    driver.execute("PRAGMA cache_size=-2000")  # SQLite's default
    driver.execute("PRAGMA journal_mode=WAL")
