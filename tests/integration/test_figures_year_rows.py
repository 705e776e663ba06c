"""The area cube's year rows: summed from its months on upgrade, and long periods read from them exactly."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from simulated import END, district_app, dump
from sqlalchemy.engine import Connection

from civicgrid.adapters.db import schema
from civicgrid.analytics import rollups
from civicgrid.analytics.figures import figures, figures_from_cases
from civicgrid.analytics.rollups import rebuild
from civicgrid.analytics.rollups.query import Tallies, _raw, tallies
from civicgrid.services.simulation import SimulationSpec, simulate_history

ZONE = ZoneInfo("Asia/Shanghai")


def by_key(groups: list[dict[str, Any]]) -> list[tuple[Any, dict[str, int]]]:
    """What the rollups and the raw-case reference must agree on: each group's key and counts, in order."""
    return [(g["key"], g["counts"]) for g in groups]


def year_rows(conn: Connection) -> int:
    sql = "SELECT count(*) FROM {} WHERE cube = 'area' AND grain = 'y'"
    return sum(
        conn.exec_driver_sql(sql.format(t)).scalar_one() for t in ("case_rollups", "case_rollup_hours")
    )


def test_the_upgrade_sums_year_rows_that_answer_like_the_raw_cases(db_url: str) -> None:
    app = district_app(db_url)
    try:
        # 400 days to 28 November 2026: two calendar years of history.
        simulate_history(app=app, spec=SimulationSpec(cases=600, days=400, seed=5, end=END), workers=1)
        with app.engine.connect() as conn:
            kept = year_rows(conn)
        schema.migrate(app.engine, command.downgrade, "0006")
        with app.engine.connect() as conn:
            assert year_rows(conn) == 0
        schema.upgrade(app.engine)
        with app.engine.connect() as conn:
            assert year_rows(conn) == kept > 0
            assert rollups.check(conn).ok
            # The 365 local days to 1 December read December 2025 and the year 2026 less its December.
            start, end = datetime(2025, 12, 1, tzinfo=ZONE), datetime(2026, 12, 1, tzinfo=ZONE)
            for group in ("microgrid", "grid"):
                rolled = figures(conn, start=start, end=end, group=group, now=END, previous=False)
                exact = figures_from_cases(conn, start=start, end=end, group=group, now=END)
                assert by_key(rolled) == by_key(exact)
                assert sum(g["counts"]["submitted"] for g in rolled) > 0
    finally:
        app.close()


def test_from_before_the_rollups_or_run_again_it_leaves_the_same_rows(db_url: str) -> None:
    app = district_app(db_url)
    try:
        simulate_history(app=app, spec=SimulationSpec(cases=300, days=400, seed=6, end=END), workers=1)
        with app.engine.connect() as conn:
            kept = dump(conn, "case_rollups"), dump(conn, "case_rollup_hours")
        # From 0003, 0004 rebuilds the rollups with today's code (year rows and all), then 0007 sums the
        # year rows again; stamped at 0006, 0007 runs once more over its own year rows.
        for back, how in (("0003", command.downgrade), ("0006", command.stamp)):
            schema.migrate(app.engine, how, back)
            schema.upgrade(app.engine)
            with app.engine.connect() as conn:
                assert (dump(conn, "case_rollups"), dump(conn, "case_rollup_hours")) == kept
                assert year_rows(conn) > 0
    finally:
        app.close()


def test_a_micro_grid_filed_under_two_grids_in_one_bucket_is_counted_whole(db_url: str) -> None:
    # A new map can move a micro-grid to another grid: its older cases keep the old grid, so one month or
    # year holds two area rows for it, which the one-row-per-group reading must add up.
    app = district_app(db_url)
    try:
        simulate_history(app=app, spec=SimulationSpec(cases=300, days=120, seed=3, end=END), workers=1)
        with app.engine.begin() as conn:
            microgrid = conn.exec_driver_sql(
                "SELECT microgrid_code FROM cases GROUP BY microgrid_code ORDER BY count(*) DESC LIMIT 1"
            ).scalar_one()
            moved = conn.exec_driver_sql(
                "UPDATE cases SET grid_code = 'MOVED' WHERE id IN (SELECT id FROM cases"
                f" WHERE microgrid_code = '{microgrid}' ORDER BY id LIMIT 3)"
            ).rowcount
            assert moved == 3
            rebuild(conn)
        start = datetime(2026, 1, 1, tzinfo=ZONE)
        for end in (datetime(2026, 11, 1, tzinfo=ZONE), datetime(2027, 1, 1, tzinfo=ZONE)):
            with app.engine.connect() as conn:
                rolled = figures(conn, start=start, end=end, group="microgrid", now=END, previous=False)
                exact = figures_from_cases(conn, start=start, end=end, group="microgrid", now=END)
                # The duration histograms too, slot by slot, against the cases' own contributions.
                kept = tallies(conn, start=start, end=end, group="microgrid", now=END, zone=ZONE)
                recounted: Tallies = {}
                _raw(conn, recounted, start, end, "microgrid", None, ZONE)
            assert by_key(rolled) == by_key(exact)
            assert microgrid in {g["key"] for g in rolled}
            assert {k: (t.accept, t.close) for k, t in kept.items()} == {
                k: (t.accept, t.close) for k, t in recounted.items()
            }
    finally:
        app.close()


def test_the_check_goes_a_month_at_a_time_and_still_sees_every_stored_row(db_url: str) -> None:
    app = district_app(db_url)
    try:
        simulate_history(app=app, spec=SimulationSpec(cases=300, days=400, seed=8, end=END), workers=1)
        blank = ", ".join(["''"] * 9)  # the nine dimensions, none of them
        counts = ", ".join(["1"] * 12)
        with app.engine.begin() as conn:
            assert rollups.check(conn).ok
            # One change of each kind a month at a time could miss: a year row, rows three years before
            # the first case and at the end of the calendar, a month row whose bucket is no month's first
            # day, a cube nobody knows, and a duration slot that went missing.
            conn.exec_driver_sql(
                "UPDATE case_rollups SET closed = closed + 1"
                " WHERE cube = 'area' AND grain = 'y' AND bucket = '2025-01-01'"
            )
            for cube, grain, bucket in (
                ("full", "d", "2022-03-05"),
                ("org", "m", "9999-12-01"),
                ("community", "m", "2026-03-15"),
                ("bogus", "d", "2026-03-01"),
            ):
                conn.exec_driver_sql(
                    f"INSERT INTO case_rollups VALUES ('{cube}', '{grain}', '{bucket}', {blank}, {counts})"
                )
            slot = conn.exec_driver_sql(
                "SELECT cube, grain, bucket, measure, slot FROM case_rollup_hours"
                " WHERE cube = 'kind' AND grain = 'm' ORDER BY bucket, slot LIMIT 1"
            ).one()
            conn.exec_driver_sql(
                "DELETE FROM case_rollup_hours WHERE cube = 'kind' AND grain = 'm'"
                f" AND bucket = '{slot.bucket}' AND measure = '{slot.measure}' AND slot = {slot.slot}"
            )
        with app.engine.connect() as conn, conn.begin():
            report = rollups.check(conn)
        found = {(d["table"], d["cube"], d["grain"], d["bucket"][:7]) for d in report.differences}
        planted = {
            ("case_rollups", "area", "y", "2025-01"),
            ("case_rollups", "full", "d", "2022-03"),
            ("case_rollups", "org", "m", "9999-12"),
            ("case_rollups", "community", "m", "2026-03"),
            ("case_rollups", "bogus", "d", "2026-03"),
            ("case_rollup_hours", "kind", "m", str(slot.bucket)[:7]),
        }
        assert found == planted
        assert report.total_differences >= 6  # the missing slot may sit under several kind keys
        missing = [d for d in report.differences if d["table"] == "case_rollup_hours"]
        assert all(d["stored"] is None and d["expected"]["n"] > 0 for d in missing)
        phantom = [d for d in report.differences if d["cube"] == "full"]
        assert phantom[0]["stored"]["submitted"] == 1 and phantom[0]["expected"] is None
        # With no cases at all, every stored row is a difference.
        with app.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM case_events")
            conn.exec_driver_sql("DELETE FROM cases")
            stored = sum(
                conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {nonzero} != 0").scalar_one()
                for table, nonzero in (("case_rollups", "submitted"), ("case_rollup_hours", "n"))
            )
        with app.engine.connect() as conn, conn.begin():
            report = rollups.check(conn, limit=10)
        assert report.cases == 0 and report.total_differences == stored > 1000
        assert len(report.differences) == 10 and all(d["expected"] is None for d in report.differences)
    finally:
        app.close()
