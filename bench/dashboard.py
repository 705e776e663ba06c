"""Benchmark: the command centre's questions at 1 and 10 million cases, civicgrid against a DuckDB scan.

For each size (``--sizes``), the database is built once and cached under bench/data/ (see
dashboard_data.py; ``--pg`` also times a PostgreSQL copy), then each question is asked ``--repeat``
times through civicgrid's own functions and the same question is answered by DuckDB scanning the same
cases (copied once into bench/data/duck-N.duckdb from a CSV export: DuckDB's sqlite extension would be
downloaded at run time, which civicgrid never does):

- ``community_30d``: the three rates, on-time closure and counts per community, cases of the last 30 days
  (``civicgrid.analytics.figures.figures``, from the rollups, with the previous period beside it);
- ``microgrid_year``: the same per micro-grid for the whole year;
- ``overdue_street``: the overdue list of one street (``civicgrid.analytics.rollups.overdue_cases``).

Prints one JSON object: per engine and size, p50/p95 ms per question, and the ratio of civicgrid's p95 to
DuckDB's in the same run (below 1: civicgrid faster). Bar (issue 6): p95 <= 100 ms at 10 million cases on
SQLite and PostgreSQL, and faster than DuckDB.

Run: .venv/bin/python bench/dashboard.py [--sizes 1000000,10000000] [--pg] [--repeat 20]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

import dashboard_data as data
from civicgrid.adapters.db.engine import make_engine
from civicgrid.analytics.figures import figures
from civicgrid.analytics.rollups import overdue_cases

NOW = datetime.fromisoformat(data.END)
BAR_MS = 100.0
DUCK_COLUMNS = (
    "id", "number", "status", "outcome", "street_code", "community_code", "microgrid_code", "submitted_at",
    "registered_at", "dispatched_at", "accepted_at", "closed_at", "due", "rework_count", "reopen_count",
    "callback_valid", "callback_contacted", "callback_resolved", "satisfaction",
)  # fmt: skip
_FINISHED = "status IN ('closed', 'evaluated') AND outcome = 'resolved'"
DUCK_FIGURES = f"""
SELECT {{key}} AS key, count(*) AS submitted,
  count(registered_at) AS registered,
  count(*) FILTER ({_FINISHED}) AS closed,
  count(*) FILTER ({_FINISHED} AND closed_at <= due) AS closed_on_time,
  count(*) FILTER (status = 'handled' OR ({_FINISHED}) OR rework_count > 0 OR reopen_count > 0) AS handled,
  count(*) FILTER (rework_count > 0) AS reworked,
  count(*) FILTER (status IN ('submitted','registered','dispatched','accepted','in_progress','handled',
                              'suspended')) AS open,
  count(*) FILTER (status IN ('dispatched','accepted','in_progress','handled') AND due < $now) AS overdue,
  count(*) FILTER (callback_valid) AS valid_callbacks,
  count(*) FILTER (callback_valid AND callback_contacted) AS contacted,
  count(*) FILTER (callback_valid AND callback_resolved) AS resolved,
  count(*) FILTER (callback_valid AND satisfaction = 'satisfied') AS satisfied,
  count(*) FILTER (callback_valid AND satisfaction = 'basically_satisfied') AS basically_satisfied,
  quantile_cont(epoch(accepted_at - dispatched_at) / 3600, [0.5, 0.9]) AS accept_hours,
  quantile_cont(epoch(closed_at - submitted_at) / 3600, [0.5, 0.9])
    FILTER (outcome = 'resolved') AS close_hours
FROM cases WHERE submitted_at >= $start AND submitted_at < $end GROUP BY key
"""
DUCK_OVERDUE = """
SELECT * FROM cases WHERE street_code = $street AND due < $now
  AND status IN ('dispatched','accepted','in_progress','handled') ORDER BY due, id LIMIT 200
"""


def timed(question: Callable[[], Any], repeat: int) -> dict[str, float]:
    question()  # warm: the first answer pays for opening files and filling caches
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        question()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], 2),
    }


def civicgrid_questions(url: str, street: str) -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    engine = make_engine(url)
    conn = engine.connect()
    month, year = NOW - timedelta(days=30), NOW - timedelta(days=365)
    return {
        "community_30d": lambda: figures(conn, start=month, end=NOW, group="community", now=NOW),
        "microgrid_year": lambda: figures(conn, start=year, end=NOW, group="microgrid", now=NOW),
        "overdue_street": lambda: overdue_cases(conn, now=NOW, area_code=street),
    }, lambda: (conn.close(), engine.dispose())  # type: ignore[func-returns-value]


def duck_file(sqlite_path: Path, size: int) -> Path:
    """bench/data/duck-SIZE.duckdb: the cases' columns the questions need, copied once through a CSV."""
    target = data.DATA / f"duck-{size}.duckdb"
    if target.exists():
        return target
    began = time.monotonic()
    engine = make_engine(f"sqlite:///{sqlite_path}")
    export = data.DATA / f"duck-{size}.csv"
    columns = [sa.column(c) for c in DUCK_COLUMNS]
    with engine.connect() as conn, export.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(DUCK_COLUMNS)
        result = conn.execution_options(stream_results=True).execute(
            sa.select(*columns).select_from(sa.table("cases"))
        )
        for rows in result.partitions(50_000):
            writer.writerows(rows)
    engine.dispose()
    staging = target.with_suffix(".partial")
    staging.unlink(missing_ok=True)
    duck = duckdb.connect(str(staging))
    types = {c: "TIMESTAMP" for c in DUCK_COLUMNS if c.endswith("_at") or c == "due"}
    types.update({c: "BOOLEAN" for c in ("callback_valid", "callback_contacted", "callback_resolved")})
    types.update({c: "INTEGER" for c in ("rework_count", "reopen_count")} | {"id": "BIGINT"})
    read = f"read_csv('{export}', header = true, types = {types!r})"
    duck.execute(f"CREATE TABLE cases AS SELECT * FROM {read}")
    duck.close()
    staging.rename(target)
    export.unlink()
    data.log(f"{target.name}: copied {size} cases in {time.monotonic() - began:.1f} s")
    return target


def duck_questions(path: Path, street: str) -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    duck = duckdb.connect(str(path), read_only=True)
    now = NOW.replace(tzinfo=None) - NOW.utcoffset()  # the copy holds naive UTC, as SQLite does
    month, year = now - timedelta(days=30), now - timedelta(days=365)

    def ask(sql: str, **params: Any) -> Callable[[], Any]:
        return lambda: duck.execute(sql, params).fetchall()

    return {
        "community_30d": ask(DUCK_FIGURES.format(key="community_code"), start=month, end=now, now=now),
        "microgrid_year": ask(DUCK_FIGURES.format(key="microgrid_code"), start=year, end=now, now=now),
        "overdue_street": ask(DUCK_OVERDUE, street=street, now=now),
    }, duck.close


def first_street(url: str) -> str:
    """The street whose overdue list is asked for: the first by code."""
    engine = make_engine(url)
    with engine.connect() as conn:
        street = conn.exec_driver_sql(
            "SELECT code FROM areas WHERE level = 'street' ORDER BY code LIMIT 1"
        ).scalar_one()
    engine.dispose()
    return str(street)


def measure(name: str, size: int, questions: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Any]:
    return {"engine": name, "cases": size, "queries": {q: timed(f, repeat) for q, f in questions.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pg", action="store_true", help="also time a PostgreSQL copy of each size")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        path = data.sqlite_database(size)
        url = f"sqlite:///{path}"
        street = first_street(url)
        engines = [("sqlite", url)]
        if args.pg:
            engines.append(("postgresql", data.pg_database(size, path)))
        duck, close_duck = duck_questions(duck_file(path, size), street)
        baseline = measure("duckdb", size, duck, args.repeat)
        close_duck()
        results.append(baseline)
        for name, engine_url in engines:
            questions, close = civicgrid_questions(engine_url, street)
            row = measure(name, size, questions, args.repeat)
            close()
            for q, timing in row["queries"].items():
                timing["p95_vs_duckdb"] = round(timing["p95_ms"] / baseline["queries"][q]["p95_ms"], 3)
                timing["meets_bar"] = timing["p95_ms"] <= BAR_MS and timing["p95_vs_duckdb"] < 1
            row["database_bytes"] = path.stat().st_size if name == "sqlite" else None
            results.append(row)
    json.dump({"bar_p95_ms": BAR_MS, "now": data.END, "results": results}, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
