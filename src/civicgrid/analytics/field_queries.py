"""Read side of the grid worker's phone: the categories they report most, and their open cases on a map."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import cases
from civicgrid.analytics.case_queries import LIST_COLUMNS, scope_condition
from civicgrid.analytics.queues import OPEN_CODES
from civicgrid.domain.access import CaseScope

# What patrols find most often on the street (GB/T 30428 events and components), for a district with no
# patrol history yet: exposed rubbish, piled materials, small ads, trading outside shops, parked bikes,
# manhole covers.
STARTER_CATEGORIES = ("E0101", "E0103", "E0201", "E0502", "E0504", "C0101")
LOOKBACK = timedelta(days=90)


def common_categories(
    conn: Connection, *, grid_codes: Iterable[str], now: datetime, limit: int = 6
) -> list[str]:
    """The categories patrols filed most in these grids (then the district) lately, padded with starters."""
    since = now - LOOKBACK
    chosen: list[str] = []
    grids = sorted(set(grid_codes))
    for where in ([cases.c.grid_code.in_(grids)] if grids else [], []):
        q = (
            sa.select(cases.c.category_code, sa.func.count().label("n"))
            .where(cases.c.source == "patrol", cases.c.submitted_at >= since, *where)
            .group_by(cases.c.category_code)
            .order_by(sa.desc("n"), cases.c.category_code)
            .limit(limit)
        )
        for code, _n in conn.execute(q):
            if code not in chosen:
                chosen.append(code)
        if len(chosen) >= limit:
            break
    for code in STARTER_CATEGORIES:
        if len(chosen) >= limit:
            break
        if code not in chosen:
            chosen.append(code)
    return chosen[:limit]


def open_cases(conn: Connection, *, scope: CaseScope, limit: int = 500) -> list[dict[str, Any]]:
    """Open cases the scope allows (for the worker: assigned to them or in their grids), newest first."""
    q = (
        sa.select(*LIST_COLUMNS)
        .where(scope_condition(scope), cases.c.status.in_(OPEN_CODES))
        .order_by(cases.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(q)]
