"""The read side of Open311: requests in the public shape's columns, their latest public step, places."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas, case_events, cases, categories
from civicgrid.domain.case_types import OPEN_STATUSES, Action
from civicgrid.domain.geography import Level
from civicgrid.entrypoints.api.case_views import PUBLIC_ACTIONS, PUBLIC_NOTES

# Columns a public request is made of. The reporter's are read only to blank them out of free text.
REQUEST_COLUMNS = (
    cases.c.id,
    cases.c.number,
    cases.c.status,
    cases.c.category_code,
    cases.c.urgency,
    cases.c.description,
    cases.c.address,
    cases.c.lon,
    cases.c.lat,
    cases.c.microgrid_code,
    cases.c.community_code,
    cases.c.org_code,
    cases.c.submitted_at,
    cases.c.due,
    cases.c.closed_at,
    cases.c.reporter_name,
    cases.c.reporter_phone,
    cases.c.reporter_email,
)
_OPEN = [s.value for s in OPEN_STATUSES]
_VOIDS_RESULT = {Action.REWORK.value, Action.REOPEN.value}


@dataclass(frozen=True)
class RequestFilter:
    """Which requests: by number (alone), or by category, submission window and open/closed."""

    numbers: Sequence[str] = ()
    category_codes: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    statuses: Sequence[str] = ()  # "open", "closed"


@dataclass
class PublicSteps:
    """The latest publicly visible step of a case and the latest note the public may read."""

    last_at: datetime | None = None
    note: str = ""
    merged_into: str | None = None


def request_rows(conn: Connection, f: RequestFilter, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Cases matching the filter, newest first."""
    where: list[sa.ColumnElement[bool]] = []
    if f.numbers:
        where.append(cases.c.number.in_(list(f.numbers)))
    else:
        if f.category_codes:
            where.append(cases.c.category_code.in_(list(f.category_codes)))
        if f.since is not None:
            where.append(cases.c.submitted_at >= f.since)
        if f.until is not None:
            where.append(cases.c.submitted_at <= f.until)
        if set(f.statuses) == {"open"}:
            where.append(cases.c.status.in_(_OPEN))
        elif set(f.statuses) == {"closed"}:
            where.append(cases.c.status.not_in(_OPEN))
    q = (
        sa.select(*REQUEST_COLUMNS)
        .where(cases.c.number.is_not(None), *where)
        .order_by(cases.c.submitted_at.desc(), cases.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def public_steps(conn: Connection, case_ids: Sequence[int]) -> dict[int, PublicSteps]:
    """Per case: when it last changed in public view, its latest public note, and what it merged into."""
    found: dict[int, PublicSteps] = {i: PublicSteps() for i in case_ids}
    if not case_ids:
        return found
    public = [a.value for a in PUBLIC_ACTIONS]
    events = case_events.c
    q = (
        sa.select(events.case_id, events.action, events.at, events.note, events.data)
        .where(events.case_id.in_(list(case_ids)), events.action.in_(public))
        .order_by(events.case_id, events.seq)
    )
    noted = {a.value for a in PUBLIC_NOTES}
    for row in conn.execute(q):
        steps = found[row.case_id]
        steps.last_at = row.at if steps.last_at is None else max(steps.last_at, row.at)
        if row.action in noted and row.note:
            steps.note = row.note
        elif row.action in _VOIDS_RESULT:
            steps.note = ""  # sent back for rework or reopened: the reported result no longer stands
        if row.action == Action.MERGE.value:
            steps.merged_into = (row.data or {}).get("into")
    return found


def microgrid_point(conn: Connection, code: str) -> tuple[float, float] | None:
    """A point inside the micro-grid with this code (lon, lat), or None when there is no such micro-grid."""
    q = sa.select(areas.c.geometry).where(areas.c.code == code, areas.c.level == Level.MICROGRID.value)
    geometry = conn.execute(q).scalar()
    if geometry is None:
        return None
    point = shapely.geometry.shape(geometry).representative_point()
    return float(point.x), float(point.y)


def inactive_categories(conn: Connection) -> set[str]:
    """Codes of categories an administrator switched off: no longer offered as services."""
    q = sa.select(categories.c.code).where(categories.c.active.is_(False))
    return set(conn.execute(q).scalars())
