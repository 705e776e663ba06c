"""The databases bench/dashboard.py times: simulated districts of N cases, built once and cached.

``bench/data/sqlite-N.db`` is the demo district (seed 7) plus N cases made by ``civicgrid simulate`` in
runs of at most a million (seed 1, 2, ... over the same year ending at END), each run one transaction,
so a build that is stopped resumes from the last finished run. A bigger size starts from a copy of the
biggest smaller one. PostgreSQL databases (``--pg``, ``pg_database``) get the same rows copied from the
SQLite file by COPY, from CSV that the ``sqlite3`` shell writes (generating the history is the slow
part; the generator's PostgreSQL path is proven equal by tests/integration/test_simulate.py).
``bench/data/duck-N.duckdb`` holds the cases for DuckDB, copied once. Every build step is logged with its
wall time to bench/data/build.log.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

DATA = Path(__file__).with_name("data")
CIVICGRID = str(Path(sys.executable).with_name("civicgrid"))
END = "2026-11-30T18:00:00+08:00"  # fixed, so a cached database is the same on every run
ZONE = "Asia/Shanghai"  # the district's time zone (CIVICGRID_TIMEZONE's default): the command centre's days
RUN = 1_000_000
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def log(message: str) -> None:
    DATA.mkdir(exist_ok=True)
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}"
    with (DATA / "build.log").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    print(line, file=sys.stderr, flush=True)


@contextmanager
def building(name: str) -> Iterator[None]:
    """One builder per database at a time (a second one waits, then finds it built)."""
    DATA.mkdir(exist_ok=True)
    with (DATA / f"{name}.build-lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def stored_cases(path: Path) -> int:
    """Cases committed by finished simulate runs (from their record in ``meta``)."""
    if not path.exists():
        return 0
    # closing(): a sqlite3 connection's own context manager only commits, and an open connection
    # would keep the next simulate from leaving WAL mode for its load.
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'simulations'").fetchone()
    return sum(int(r["cases"]) for r in json.loads(row[0])) if row else 0


def run(*args: str) -> None:
    started = time.monotonic()
    subprocess.run([CIVICGRID, *args], check=True, stdout=subprocess.DEVNULL)
    log(f"civicgrid {' '.join(args)}: {time.monotonic() - started:.1f} s")


def sqlite_database(size: int) -> Path:
    """bench/data/sqlite-SIZE.db with exactly ``size`` simulated cases, built or resumed as needed."""
    path = DATA / f"sqlite-{size}.db"
    with building(path.name):
        have = stored_cases(path)
        if have == size:
            run("init", "--db", f"sqlite:///{path}")  # a database made by an older civicgrid: migrate it
            return path
        if have > size:
            raise SystemExit(f"{path} holds {have} cases, more than {size}: delete it")
        url = f"sqlite:///{path}"
        if not path.exists():
            done = [(n, p) for p in DATA.glob("sqlite-*.db") if 0 < (n := stored_cases(p)) < size]
            complete = sorted((n, p) for n, p in done if p.stem == f"sqlite-{n}")
            if complete:
                log(f"{path.name}: starting from a copy of {complete[-1][1].name}")
                shutil.copyfile(complete[-1][1], path)
            else:
                run("demo", "--db", url, "--cases", "0", "--no-serve")
        began = time.monotonic()
        have = stored_cases(path)
        while have < size:
            count = min(RUN, size - have)
            seed = have // RUN + 1
            run("simulate", "--db", url, "--cases", str(count), "--seed", str(seed), "--end", END, "--json")
            have = stored_cases(path)
        log(f"{path.name}: {size} cases, this build {time.monotonic() - began:.0f} s")
        subprocess.run([CIVICGRID, "stats", "--db", url], check=True, stdout=subprocess.DEVNULL)
    return path


COPIED = ("cases", "case_events", "case_rollups", "case_rollup_hours")  # what simulate writes


def pg_database(size: int, like: Path) -> str:
    """A PostgreSQL database civicgrid_bench_SIZE holding the same rows as the SQLite file ``like``.

    The demo district is built the same way (``civicgrid demo --cases 0``, seed 7), then the simulated
    cases, their events and the rollups maintained with them are copied from the SQLite file by COPY
    (SQLite's UTC text, 0/1 and JSON text are PostgreSQL's input syntax for the session in UTC), the id
    sequences are moved past them, the run record is copied and the tables are analysed. Reused when its
    run record matches the SQLite file's; otherwise dropped and copied again.
    """
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"civicgrid_bench_{size}"
    admin = sa.create_engine(make_url(PG_SERVER).set(database="postgres"), isolation_level="AUTOCOMMIT")
    url = make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    with closing(sqlite3.connect(f"file:{like}?mode=ro", uri=True)) as source:
        runs = source.execute("SELECT value FROM meta WHERE key = 'simulations'").fetchone()[0]
    with building(name):
        with admin.connect() as conn:
            exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if exists:
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                have = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'simulations'").scalar()
            engine.dispose()
            if have is not None and json.loads(have) == json.loads(runs):
                admin.dispose()
                run("init", "--db", url)
                return url
            log(f"{name}: its run record differs from {like.name}'s: copied again")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        run("demo", "--db", url, "--cases", "0", "--no-serve")
        began = time.monotonic()
        _copy_to_pg(like, url, runs)
        log(f"{name}: copied {size} cases from {like.name} in {time.monotonic() - began:.1f} s")
    return url


def _copy_to_pg(like: Path, url: str, runs: str) -> None:
    """COPY each table from the SQLite file, as CSV made by the ``sqlite3`` shell (both ends in C).

    The shell writes NULL as an empty field and '' as a quoted empty one, which is exactly how
    PostgreSQL's CSV COPY tells them apart; REAL values go through ``quote()`` (``_shell_value``).
    """
    import psycopg

    if shutil.which("sqlite3") is None:
        raise SystemExit("copying into PostgreSQL needs the sqlite3 shell: apt-get install sqlite3")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with closing(sqlite3.connect(f"file:{like}?mode=ro", uri=True)) as source:
        info = "SELECT name, type FROM pragma_table_info(?)"
        columns = {table: source.execute(info, (table,)).fetchall() for table in COPIED}
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        for table in COPIED:
            names = ", ".join(f'"{name}"' for name, _type in columns[table])
            values = ", ".join(_shell_value(name, kind) for name, kind in columns[table])
            # No ~/.sqliterc (-init /dev/null): a header or another null text there would change the CSV.
            command = ["sqlite3", "-init", "/dev/null", "-batch", "-bail", "-readonly", "-csv", "-noheader"]
            command += ["-nullvalue", "", str(like), f"SELECT {values} FROM {table}"]
            with (
                subprocess.Popen(command, stdout=subprocess.PIPE) as shell,
                pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
            ):
                assert shell.stdout is not None
                while chunk := shell.stdout.read(1 << 20):
                    copy.write(chunk)
            if shell.returncode != 0:
                raise SystemExit(f"sqlite3 could not read {table} from {like}")
        for table in ("cases", "case_events"):
            pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        pg.execute("DELETE FROM meta WHERE key = 'simulations'")
        pg.execute("INSERT INTO meta (key, value) VALUES ('simulations', %s)", (runs,))
        pg.commit()
        pg.autocommit = True
        for table in COPIED:
            pg.execute(f"VACUUM ANALYZE {table}")


def _shell_value(name: str, kind: str) -> str:
    """A column as the shell should print it: a REAL value with all its digits (``quote()``; the shell's
    own format keeps 15), anything else as it is. Only a column of REAL or NUMERIC affinity can hold one."""
    if any(word in kind.upper() for word in ("INT", "CHAR", "CLOB", "TEXT", "BLOB")):
        return f'"{name}"'
    return f'iif(typeof("{name}") = \'real\', quote("{name}"), "{name}")'


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1000000").split(",")]
    for size in sorted(sizes):
        sqlite_database(size)


if __name__ == "__main__":
    main()
