"""A backup taken under write load restores to a consistent database that holds every case it saw."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from civicgrid.adapters.db.backup import BackupFailed, backup, restore
from civicgrid.adapters.db.engine import make_engine
from civicgrid.domain.case_types import Source
from civicgrid.domain.roles import Actor, Role
from civicgrid.entrypoints.cli import app as cli
from civicgrid.services.intake import ReportCase, report_case
from conftest import Civic

TABLES = ("cases", "case_events", "audit_log", "areas", "categories")


def file_one(civic: Civic, i: int) -> None:
    report_case(
        uow=civic.app.uow,
        locator=civic.app.locator,
        report=ReportCase(
            source=Source.HOTLINE, category_code="C0101", description=f"井盖 {i}", lon=116.6025, lat=35.4025
        ),
        actor=Actor(role=Role.OPERATOR, id=1, name="op"),
        now=civic.clock(),
    )


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
        out["orphans"] = int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM case_events e LEFT JOIN cases c ON c.id = e.case_id"
                    " WHERE c.id IS NULL"
                )
            ).scalar_one()
        )
    engine.dispose()
    return out


@pytest.fixture
def restore_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into, removed afterwards."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = sa.engine.make_url(db_url)
    name = f"{url.database}_restore"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_a_backup_under_write_load_restores_consistent(
    civic: Civic, db_url: str, tmp_path: Path, restore_url: str
) -> None:
    for i in range(30):
        file_one(civic, i)
    stop = threading.Event()

    def writer() -> None:
        i = 100
        while not stop.is_set():
            file_one(civic, i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = tmp_path / "civicgrid.backup"
        assert backup(db_url, target) > 0
    finally:
        stop.set()
        thread.join(timeout=30)
    restored_url = restore_url
    restore(target, restored_url)
    after = counts(restored_url)
    live = counts(db_url)
    assert after["orphans"] == 0
    assert 30 <= after["cases"] <= live["cases"]  # a snapshot from during the load: never half a case
    assert after["case_events"] == after["cases"]  # each filed report has exactly its submit event
    assert after["areas"] == live["areas"] and after["categories"] == live["categories"]
    with pytest.raises(BackupFailed):
        backup(db_url, target)  # never overwrites an earlier backup


def test_backup_and_restore_from_the_command_line(
    civic: Civic, db_url: str, tmp_path: Path, restore_url: str
) -> None:
    file_one(civic, 1)
    runner = CliRunner()
    target = tmp_path / "cli.backup"
    r = runner.invoke(cli, ["backup", "--to", str(target), "--db", db_url], env={"CIVICGRID_LANG": "en"})
    assert r.exit_code == 0, r.output
    restored_url = restore_url
    r = runner.invoke(cli, ["restore", str(target), "--db", restored_url], env={"CIVICGRID_LANG": "en"})
    assert r.exit_code == 1 and "--yes" in r.output
    r = runner.invoke(
        cli, ["restore", str(target), "--db", restored_url, "--yes"], env={"CIVICGRID_LANG": "en"}
    )
    assert r.exit_code == 0, r.output
    assert counts(restored_url)["cases"] == 1
