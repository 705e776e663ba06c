"""A grid import killed with SIGKILL leaves the old map or the new one, never half of either.

The demo district's map (3,211 areas, 2,627 micro-grids) is stored, and ``civicgrid grids import`` of a
second version of it (every name changed) runs as a subprocess that is killed again and again: at random
moments of its run, and while it is writing the areas (seen from outside: the SQLite writers' lock is held
and the write-ahead log grows, or PostgreSQL shows its DELETE/INSERT on ``areas``). After every kill the
database holds exactly one of the two maps, every area of it and the matching map version; a last
import, not killed, then goes through.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from civicgrid.adapters.db.engine import make_engine
from civicgrid.bootstrap import bootstrap
from civicgrid.config import Settings
from civicgrid.demo.district import generate_district
from civicgrid.domain.geography import AreaSpec
from civicgrid.domain.geojson import to_feature_collection
from civicgrid.domain.roles import Actor
from civicgrid.services.grids import import_areas

pytestmark = pytest.mark.slow

CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))
KILLS = 4
NEW = "（新）"


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[AreaSpec], Path, Path]:
    """The demo map, and two files of it: as it is (old), and with every name changed (new)."""
    old = generate_district()
    new = [replace(a, name=a.name + NEW) for a in old]
    folder = tmp_path_factory.mktemp("maps")
    files = folder / "old.geojson", folder / "new.geojson"
    for path, areas in zip(files, (old, new), strict=True):
        path.write_text(json.dumps(to_feature_collection(areas), ensure_ascii=False), encoding="utf-8")
    return old, *files


def which_map(engine: sa.Engine, total: int) -> tuple[str, int]:
    """("old" | "new", map version); fails on anything in between."""
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM areas")).scalars().all()
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'map_version'")).scalar_one()
    renamed = sum(name.endswith(NEW) for name in names)
    assert len(names) == total, f"{len(names)} areas stored instead of {total}"
    assert renamed in (0, total), f"half a map: {renamed} of {total} areas are from the new file"
    return ("new" if renamed else "old"), int(version)


def writing_areas(engine: sa.Engine, url: str, wal_start: int) -> bool:
    """Whether another process is in the middle of writing the areas right now."""
    if engine.dialect.name == "sqlite":
        path = make_url(url).database
        assert path is not None
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False  # nobody holds the writers' lock
        except BlockingIOError:
            wal = Path(f"{path}-wal")
            return wal.exists() and wal.stat().st_size > wal_start + 256 * 1024  # areas, not a small write
        finally:
            os.close(fd)
    with engine.connect() as conn:
        busy = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query ILIKE '%areas%' "
                "AND (query ILIKE 'DELETE%' OR query ILIKE 'INSERT%')"
            )
        ).scalar_one()
    return bool(busy)


def wal_size(url: str) -> int:
    path = make_url(url).database
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if path and wal.exists() else 0


def start_import(url: str, file: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")}
    return subprocess.Popen(
        [CIVICGRID, "grids", "import", str(file), "--db", url],
        env={**env, "CIVICGRID_LANG": "en"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_killed_grid_import_leaves_the_old_map_or_the_new_one_never_half(
    db_url: str, maps: tuple[list[AreaSpec], Path, Path]
) -> None:
    old, old_file, new_file = maps
    app = bootstrap(Settings(database_url=db_url))
    import_areas(uow=app.uow, areas=old, actor=Actor.system(), now=app.clock())
    app.close()
    engine = make_engine(db_url)
    rng = random.Random(20261201)
    state, version = which_map(engine, len(old))
    assert state == "old"

    mid_write, seconds_to_write = 0, 0.0
    for kill in range(KILLS):
        target = new_file if state == "old" else old_file
        wal_start = wal_size(db_url)
        started = time.monotonic()
        proc = start_import(db_url, target)
        if kill % 2 == 1:  # at a random moment, from the start of the run to a little into its writing
            time.sleep(rng.uniform(0.05, max(seconds_to_write, 0.5) * 1.1))
        else:  # while it writes the areas, a random few milliseconds in
            while proc.poll() is None and time.monotonic() < started + 120:
                if writing_areas(engine, db_url, wal_start):
                    seconds_to_write = max(seconds_to_write, time.monotonic() - started)
                    time.sleep(rng.uniform(0, 0.03))
                    mid_write += proc.poll() is None
                    break
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)

        now_state, now_version = which_map(engine, len(old))
        if now_state == state:
            assert now_version == version, "the map version moved without the map"
        else:  # the import committed before the kill: wholly the new one, one version on
            assert now_version == version + 1
        state, version = now_state, now_version

    # Nothing is left wedged (locks, journals, half transactions): a last import goes through.
    last = start_import(db_url, old_file if state == "new" else new_file)
    _, err = last.communicate(timeout=120)
    assert last.returncode == 0, err.decode()
    assert which_map(engine, len(old)) == ("old" if state == "new" else "new", version + 1)
    engine.dispose()
    assert mid_write >= 1, "no kill landed while the areas were being written"
