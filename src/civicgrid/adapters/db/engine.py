"""Engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from civicgrid.domain.errors import N_, DomainError


class BadDatabaseURL(DomainError):
    code = "bad_database_url"
    message = N_("Not a usable database URL: {url} (use sqlite:///FILE or postgresql+psycopg://...).")


def make_engine(url: str, *, busy_timeout_ms: int = 10000, echo: bool = False) -> Engine:
    """An engine configured for durable commits: SQLite in WAL mode with synchronous=FULL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseURL(url=url) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, busy_timeout_ms, echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg 3 here
            parsed = parsed.set(drivername="postgresql+psycopg")
        # psycopg prepares a statement run five times, and PostgreSQL then tries a generic plan, blind to
        # the values: for the figures' queries (running cases by deadline and submission range, a partial
        # index) that plan took 100 ms where the plan for the actual values takes 3 ms (bench/dashboard.py
        # at a million cases). Every execution is planned for its values; planning costs well under 1 ms.
        return create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
        )
    raise BadDatabaseURL(url=url)


def _sqlite_engine(url: str, busy_timeout_ms: int, echo: bool) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"echo": echo}
    if not memory:
        # Pooled connections: opening one (and its PRAGMAs) costs more than a whole report's inserts.
        kwargs.update(poolclass=QueuePool, pool_size=20, max_overflow=40)
    engine = create_engine(url, **kwargs)
    if not memory:
        database = make_url(url).database
        assert database is not None
        _GATES[engine] = WriterGate(os.path.abspath(database) + ".lock")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite's own handling is broken
        # for BEGIN IMMEDIATE); see SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL".
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss, WAL included
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front so two writers queue instead of failing on lock upgrade.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class WriterGate:
    """Queues the SQLite writers of every process on one file lock, in turn, instead of letting them poll.

    SQLite's own busy handler retries a locked write after sleeps of up to 100 ms, so under load a few
    unlucky writers wait seconds while others go first. Taking an ``flock`` (and a thread lock inside the
    process) before ``BEGIN IMMEDIATE`` makes writers wait in the kernel's queue and wake as soon as the
    previous one commits. The kernel drops the lock of a process that dies, so a crash never wedges it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        # Re-entrant, so a (mistaken) nested write in one thread fails on SQLite's timeout, not a deadlock.
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own description
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        """Wait for this process's turn, then for the database's."""
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1

    def release(self) -> None:
        """Let the next writer in."""
        try:
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_GATES: weakref.WeakKeyDictionary[Engine, WriterGate] = weakref.WeakKeyDictionary()


def writer_gate(engine: Engine) -> WriterGate | None:
    """The writers' queue of a file SQLite engine (None for PostgreSQL and in-memory SQLite)."""
    return _GATES.get(engine)
