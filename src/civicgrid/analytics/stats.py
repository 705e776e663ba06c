"""Counts of what a database holds (``civicgrid stats``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas, cases, organisations, workers
from civicgrid.domain.geography import Level


def database_stats(conn: Connection) -> dict[str, Any]:
    """Areas per level, organisations, workers per kind and cases per status."""
    area_counts: dict[str, int] = dict(
        conn.execute(sa.select(areas.c.level, sa.func.count()).group_by(areas.c.level)).all()
    )
    org_counts: dict[str, int] = dict(
        conn.execute(sa.select(organisations.c.kind, sa.func.count()).group_by(organisations.c.kind)).all()
    )
    worker_counts: dict[str, int] = dict(
        conn.execute(sa.select(workers.c.kind, sa.func.count()).group_by(workers.c.kind)).all()
    )
    by_status: dict[str, int] = dict(
        conn.execute(sa.select(cases.c.status, sa.func.count()).group_by(cases.c.status)).all()
    )
    return {
        "areas": {
            level.value: int(area_counts.get(level.value, 0))
            for level in Level
            if level is not Level.DISTRICT
        },
        "district": int(area_counts.get(Level.DISTRICT.value, 0)),
        "departments": int(sum(org_counts.values())),
        "organisations": {k: int(v) for k, v in sorted(org_counts.items())},
        "workers": {"total": int(sum(worker_counts.values()))}
        | {k: int(v) for k, v in sorted(worker_counts.items())},
        "cases": {
            "total": int(sum(by_status.values())),
            "by_status": {k: int(v) for k, v in sorted(by_status.items())},
        },
    }
