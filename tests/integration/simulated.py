"""A small district for simulation tests (the tiny map, the catalogue, a crew per grid) and row dumps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from civicgrid.bootstrap import App, bootstrap
from civicgrid.config import Settings
from civicgrid.demo.people import WorkerKind, WorkerSpec
from civicgrid.domain.roles import Actor
from civicgrid.services.grids import import_areas
from civicgrid.services.reference import seed_reference_data
from support import tiny_map

END = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 on a Saturday in Beijing
GRIDS = ("D111", "D112", "D121", "D122", "D211", "D212", "D221", "D222")
ORGS = ("chengguan", "police", "housing", "environment", "market", "water_affairs")


def district_app(db_url: str) -> App:
    """An app on ``db_url`` holding a district the simulator can use."""
    app = bootstrap(Settings(database_url=db_url), clock=lambda: END)
    seed_reference_data(uow=app.uow)
    areas = tiny_map()
    import_areas(uow=app.uow, areas=areas, actor=Actor.system(), now=END)
    grids = sorted(a.code for a in areas if a.level.value == "grid")
    people = [
        WorkerSpec(f"F{i:04d}", f"网格员{i}", f"1380000{i:04d}", WorkerKind.FULLTIME, None, (g,))
        for i, g in enumerate(grids)
    ] + [
        WorkerSpec(
            f"P{i:04d}", f"专业网格员{i}", f"1390000{i:04d}", WorkerKind.PROFESSIONAL, org, tuple(grids)
        )
        for i, org in enumerate(ORGS)
    ]
    with app.uow() as u:
        u.reference.save_workers(people)
        u.commit()
    return app


def dump(conn: sa.Connection, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table as the database returns it, sorted."""
    return sorted(tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{table}"'))


def histories_complete(conn: sa.Connection) -> None:
    """Every case has its events, numbered 1..n from its submission, and nothing points nowhere."""
    orphans = conn.exec_driver_sql(
        "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id)"
    ).scalar_one()
    assert orphans == 0
    gaps = conn.exec_driver_sql(
        "SELECT count(*) FROM (SELECT case_id, count(*) AS n, min(seq) AS lo, max(seq) AS hi "
        "FROM case_events GROUP BY case_id) s WHERE lo <> 1 OR hi <> n"
    ).scalar_one()
    assert gaps == 0
    first = conn.exec_driver_sql(
        "SELECT count(*) FROM case_events WHERE seq = 1 AND action <> 'submit'"
    ).scalar_one()
    assert first == 0
    dangling = conn.exec_driver_sql(
        "SELECT count(*) FROM case_events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)"
    ).scalar_one()
    assert dangling == 0
