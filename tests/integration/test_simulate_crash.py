"""A killed ``civicgrid simulate`` leaves the database as it was before: never half a history.

The command runs in its own process group (the CLI and its generator processes); it is killed with
SIGKILL at random moments, and after every kill the database must hold exactly the cases of the runs that
finished, each with its whole history, the rollups equal to a recount (``figures check``), and no
generator process may outlive the command. The first run is left to finish and must add all its cases; its
duration sets when the later runs are killed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from simulated import district_app, histories_complete

from civicgrid.analytics import rollups
from civicgrid.services.simulation import simulation_runs

CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))
CASES = 1000
KILLS = 4


def start(db_url: str, seed: int) -> subprocess.Popen[bytes]:
    args = ["simulate", "--db", db_url, "--cases", str(CASES), "--days", "90", "--seed", str(seed)]
    args += ["--end", "2026-11-28T10:00:00+08:00", "--workers", "2", "--piece", "200", "--json"]
    return subprocess.Popen(
        [CIVICGRID, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def group_gone(pgid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_killed_simulation_leaves_the_database_before_or_after_never_half(db_url: str) -> None:
    app = district_app(db_url)
    rng = random.Random(20261201)
    stored = interrupted = 0
    took = 0.0
    try:
        for attempt in range(KILLS + 1):
            app.engine.dispose()  # no connection of ours keeps the file: the load may leave WAL mode
            began = time.monotonic()
            proc = start(db_url, seed=attempt + 1)
            if attempt > 0:  # the first run finishes and shows how long a run takes on this machine
                time.sleep(rng.uniform(0.05, 0.95) * took)  # start-up, generation, writing or the commit
                os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=300)
            if attempt == 0:
                took = time.monotonic() - began
            finished = proc.returncode == 0
            assert finished or proc.returncode == -signal.SIGKILL, err.decode()
            assert group_gone(proc.pid), "a generator process outlived the command"
            with app.engine.connect() as conn:
                count = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
                # Before or after, never in between: a kill that came after the commit (the command had
                # not exited yet) leaves all of the run, one that came before leaves none of it.
                assert count in ((stored, stored + CASES) if not finished else (stored + CASES,))
                histories_complete(conn)
                assert rollups.check(conn).ok
                if conn.dialect.name == "sqlite":
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            interrupted += count == stored
            stored = count
            assert sum(int(str(r["cases"])) for r in simulation_runs(app)) == stored
        assert stored >= CASES  # the first run was left to finish
        assert interrupted >= 1  # and at least one kill came before a commit
    finally:
        app.close()
