"""Counts per local calendar day: cases submitted, closed and gone overdue (the command centre's trends).

Days are the district's calendar days (local midnights from ``zoneinfo``), computed in Python and handed to
SQL as bounds, so SQLite and PostgreSQL bucket alike without time-zone functions. One statement (three
GROUP BYs joined by UNION ALL) answers the whole chart.
- submitted: cases whose ``submitted_at`` falls on the day;
- closed: cases closed as resolved (结案) whose ``closed_at`` falls on the day;
- overdue: registered cases whose deadline fell on the day (and has passed) and that were not closed by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import cases
from civicgrid.analytics.case_queries import scope_condition
from civicgrid.domain.access import CaseScope
from civicgrid.domain.dashboard_periods import local_days

_RESOLVED = cases.c.status.in_(["closed", "evaluated"]) & (cases.c.outcome == "resolved")


def _bucket(column: sa.ColumnElement[Any], bounds: list[datetime]) -> sa.ColumnElement[int]:
    # The index of the day a moment falls on: the first upper bound it lies below.
    return sa.case(*[(column < upper, i) for i, upper in enumerate(bounds[1:])], else_=None)


def _per_day(
    kind: str,
    column: sa.ColumnElement[Any],
    extra: list[Any],
    bounds: list[datetime],
    scope: CaseScope | None,
) -> sa.Select[str, int, int]:
    day = _bucket(column, bounds)
    where = [column >= bounds[0], column < bounds[-1], *extra]
    if scope is not None:
        where.append(scope_condition(scope))
    return (
        sa.select(sa.literal(kind).label("kind"), day.label("day"), sa.func.count().label("n"))
        .where(*where)
        .group_by(day)
    )


def daily(
    conn: Connection,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    now: datetime,
    scope: CaseScope | None = None,
) -> list[dict[str, Any]]:
    """One row per local day touching [start, end) up to today: date, submitted, closed, overdue."""
    days = [d for d in local_days(start, end, zone) if d[1] <= now]
    if not days:
        return []
    bounds = [max(days[0][1], start)] + [hi for _, _, hi in days]
    bounds[-1] = min(bounds[-1], end)
    overdue_by = cases.c.due
    q = sa.union_all(
        _per_day("submitted", cases.c.submitted_at, [], bounds, scope),
        _per_day("closed", cases.c.closed_at, [_RESOLVED], bounds, scope),
        _per_day(
            "overdue",
            overdue_by,
            [
                cases.c.registered_at.is_not(None),
                overdue_by < now,
                sa.or_(cases.c.closed_at.is_(None), cases.c.closed_at > overdue_by),
            ],
            bounds,
            scope,
        ),
    )
    counts: dict[tuple[str, int], int] = {(r.kind, r.day): int(r.n) for r in conn.execute(q)}
    return [
        {
            "date": day.isoformat(),
            "submitted": counts.get(("submitted", i), 0),
            "closed": counts.get(("closed", i), 0),
            "overdue": counts.get(("overdue", i), 0),
        }
        for i, (day, _, _) in enumerate(days)
    ]
