"""Backups that restore: SQLite's online backup, and PostgreSQL's pg_dump / pg_restore.

SQLite: ``sqlite3.Connection.backup`` copies a consistent snapshot while the server keeps writing (WAL
readers never block writers), into a new file that is itself a complete database. PostgreSQL: ``pg_dump``
in its custom format, also a consistent snapshot under load; ``pg_restore --clean`` puts it back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from civicgrid.domain.errors import N_, DomainError


class BackupFailed(DomainError):
    code = "backup_failed"
    message = N_("The backup or restore failed: {detail}")


def backup(url: str, target: Path) -> int:
    """Write a consistent copy of the database at ``url`` to ``target``; returns its size in bytes."""
    parsed = make_url(url)
    target = Path(target)
    if target.exists():
        raise BackupFailed(detail=f"{target} exists already")
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # page by page from one read snapshot; writers go on meanwhile
        _fsync(target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])
    return target.stat().st_size


def restore(source: Path, url: str) -> None:
    """Replace the database at ``url`` with the backup ``source`` (stop the servers first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupFailed(detail=f"{source} is not a file")
    if make_url(url).get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        with sqlite3.connect(source) as src:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupFailed(detail=f"{source} is not an intact SQLite database")
            with sqlite3.connect(target) as dst:
                src.backup(dst)  # overwrites every page of the target in one transaction
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq(url)}",
            str(source),
        ]
    )


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed(detail="an in-memory database cannot be backed up")
    return database


def _libpq(url: str) -> str:
    # pg_dump speaks libpq: the same URL without SQLAlchemy's driver suffix.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupFailed(detail=f"{command[0]} is not installed (PostgreSQL client tools)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(detail=(done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
