"""The overdue list of an area: running cases past their deadline, most overdue first.

Overdue depends on the clock, so no rollup holds it; the index on (street, status, due) answers a street's
list directly, the partial index of running cases by due date the district's, and the per-level area
columns the other levels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.rollup_tables import RUNNING_SQL
from civicgrid.adapters.db.tables import areas, cases
from civicgrid.analytics.case_queries import LIST_COLUMNS, scope_condition
from civicgrid.domain.access import CaseScope

_COLUMN_OF_LEVEL = {
    "street": cases.c.street_code,
    "community": cases.c.community_code,
    "grid": cases.c.grid_code,
    "microgrid": cases.c.microgrid_code,
}


def overdue_cases(
    conn: Connection,
    *,
    now: datetime,
    area_code: str | None = None,
    scope: CaseScope | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Running cases (dispatched, accepted, in progress, handled) whose deadline passed, in an area."""
    where: list[sa.ColumnElement[bool]] = [sa.text(RUNNING_SQL), cases.c.due < now]  # type: ignore[list-item]
    if area_code:
        level = conn.execute(sa.select(areas.c.level).where(areas.c.code == area_code)).scalar()
        column = _COLUMN_OF_LEVEL.get(level or "")
        if column is not None:
            where.append(column == area_code)
        elif level is None:  # not on the current map: old cases may still carry the code at any level
            where.append(sa.or_(*(c == area_code for c in _COLUMN_OF_LEVEL.values())))
        # the district itself: every case
    if scope is not None:
        where.append(scope_condition(scope))
    q = sa.select(*LIST_COLUMNS).where(*where).order_by(cases.c.due, cases.c.id).limit(max(1, limit))
    return [dict(r._mapping) for r in conn.execute(q)]
