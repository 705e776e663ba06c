"""Case lists for desks, phones and exports: filters, scope and pagination in SQL, never in Python."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import case_photos, cases
from civicgrid.domain.access import CaseScope, reporter_seen_by
from civicgrid.domain.case_types import ASSIGNED_STATUSES, Reporter
from civicgrid.domain.roles import Actor

MAX_PAGE_SIZE = 200
# The overdue board's levels: every running case past or near its deadline, those past it or signed for
# late (red), the others (yellow).
DEADLINE_LEVELS = ("warned", "red", "yellow")
PENDING_KINDS = ("return", "extension", "suspension")  # requests that wait for a supervisor

LIST_COLUMNS = (
    cases.c.id,
    cases.c.number,
    cases.c.version,
    cases.c.status,
    cases.c.source,
    cases.c.category_code,
    cases.c.urgency,
    cases.c.description,
    cases.c.address,
    cases.c.lon,
    cases.c.lat,
    cases.c.microgrid_code,
    cases.c.grid_code,
    cases.c.community_code,
    cases.c.street_code,
    cases.c.org_code,
    cases.c.assignee_code,
    cases.c.reporter_name,
    cases.c.reporter_phone,
    cases.c.anonymous,
    cases.c.reporter_user_id,
    cases.c.submitted_at,
    cases.c.dispatched_at,
    cases.c.accept_due,
    cases.c.due,
    cases.c.due_provisional,
    cases.c.closed_at,
    cases.c.warning,
    cases.c.escalation,
    cases.c.pending,
    cases.c.satisfaction,
)


# Orders a list can be sorted in; the id breaks ties so pages never overlap.
SORTS: dict[str, tuple[sa.ColumnElement[Any], ...]] = {
    "newest": (cases.c.submitted_at.desc(), cases.c.id.desc()),
    "oldest": (cases.c.submitted_at.asc(), cases.c.id.asc()),
    # Cases without a deadline (not yet dispatched) come after every dated one.
    "due": (cases.c.due.is_(None), cases.c.due.asc(), cases.c.id.asc()),
    "due_desc": (cases.c.due.is_(None), cases.c.due.desc(), cases.c.id.desc()),
}


@dataclass(frozen=True)
class CaseFilters:
    """Every list filter; None means 'any'."""

    statuses: Sequence[str] = ()
    area_code: str | None = None  # a street, community, grid or micro-grid code
    org_code: str | None = None
    assignee_code: str | None = None
    category_code: str | None = None
    urgency: str | None = None
    source: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    overdue: bool | None = None
    warning: str | None = None
    deadline: str | None = None  # a level of the overdue board (DEADLINE_LEVELS)
    pending: bool | None = None  # waiting for a supervisor's decision
    escalated: bool | None = None  # raised above the grid (community, street or district)
    supervised: bool | None = None  # has had a supervision order (督办)
    awaiting_callback: bool | None = None  # resolved, reporter not yet called back (merged reporters too)
    text: str | None = None  # in the number, description or address
    numbers: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Page:
    """One page of rows and the total that matches."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


def scope_condition(scope: CaseScope) -> sa.ColumnElement[bool]:
    """The SQL form of ``civicgrid.domain.access.scope_of``."""
    if scope.everything:
        return sa.true()
    conditions: list[sa.ColumnElement[bool]] = []
    if scope.area_codes:
        codes = list(scope.area_codes)
        conditions += [
            cases.c.street_code.in_(codes),
            cases.c.community_code.in_(codes),
            cases.c.grid_code.in_(codes),
            cases.c.microgrid_code.in_(codes),
        ]
    if scope.worker_code:
        conditions.append(cases.c.assignee_code == scope.worker_code)
    if scope.org_code:
        conditions.append(cases.c.org_code == scope.org_code)
    if scope.reporter_user_id is not None:
        conditions.append(cases.c.reporter_user_id == scope.reporter_user_id)
    return sa.or_(*conditions) if conditions else sa.false()


def filter_conditions(f: CaseFilters, now: datetime) -> list[sa.ColumnElement[bool]]:
    """The SQL form of the filters."""
    where: list[sa.ColumnElement[bool]] = []
    if f.statuses:
        where.append(cases.c.status.in_(list(f.statuses)))
    if f.area_code:
        code = f.area_code
        where.append(
            sa.or_(
                cases.c.street_code == code,
                cases.c.community_code == code,
                cases.c.grid_code == code,
                cases.c.microgrid_code == code,
            )
        )
    for column, value in (
        (cases.c.org_code, f.org_code),
        (cases.c.assignee_code, f.assignee_code),
        (cases.c.category_code, f.category_code),
        (cases.c.urgency, f.urgency),
        (cases.c.source, f.source),
        (cases.c.warning, f.warning),
    ):
        if value:
            where.append(column == value)
    if f.submitted_from:
        where.append(cases.c.submitted_at >= f.submitted_from)
    if f.submitted_to:
        where.append(cases.c.submitted_at < f.submitted_to)
    running = cases.c.status.in_([s.value for s in ASSIGNED_STATUSES])
    if f.deadline:
        where.append(deadline_condition(f.deadline, now))
    if f.overdue is True:
        where.append(sa.and_(running, cases.c.due < now))
    elif f.overdue is False:
        where.append(sa.not_(sa.and_(running, cases.c.due < now)))
    if f.pending is not None:
        # The column is JSON: "no request" is stored as JSON null, so ask for the request's kind.
        kind = sa.func.coalesce(cases.c.pending["kind"].as_string(), "")
        waiting = kind.in_(PENDING_KINDS)
        where.append(waiting if f.pending else sa.not_(waiting))
    if f.escalated is not None:
        raised = cases.c.escalation != "grid"
        where.append(raised if f.escalated else sa.not_(raised))
    if f.supervised is not None:
        ordered = cases.c.supervision_count > 0
        where.append(ordered if f.supervised else sa.not_(ordered))
    if f.awaiting_callback is True:
        where.append(_awaiting_callback())
    if f.text:
        like = f"%{escape_like(f.text.strip())}%"
        where.append(
            sa.or_(
                cases.c.number.like(like, escape="\\"),
                cases.c.description.like(like, escape="\\"),
                cases.c.address.like(like, escape="\\"),
            )
        )
    if f.numbers:
        where.append(cases.c.number.in_(list(f.numbers)))
    return where


def list_cases(
    conn: Connection,
    *,
    scope: CaseScope,
    filters: CaseFilters,
    now: datetime,
    page: int = 1,
    page_size: int = 50,
    newest_first: bool = True,
    sort: str | None = None,
) -> Page:
    """A page of cases the scope allows, matching the filters, in a ``SORTS`` order (default: newest)."""
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    where = [scope_condition(scope), *filter_conditions(filters, now)]
    total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    order = SORTS[sort] if sort in SORTS else (cases.c.id.desc() if newest_first else cases.c.id.asc(),)
    q = (
        sa.select(*LIST_COLUMNS)
        .where(*where)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [dict(r._mapping) for r in conn.execute(q)]
    return Page(rows=rows, total=int(total), page=page, page_size=page_size)


def deadline_condition(level: str, now: datetime) -> sa.ColumnElement[bool]:
    """Running cases at one of the overdue board's levels (DEADLINE_LEVELS) at ``now``."""
    running = cases.c.status.in_([s.value for s in ASSIGNED_STATUSES])
    late = cases.c.due < now
    red = sa.or_(late, cases.c.warning == "red")  # a red warning before the deadline: signed for late
    if level == "red":
        return sa.and_(running, red)
    warned = sa.or_(late, cases.c.warning.in_(["yellow", "red"]))
    if level == "yellow":
        return sa.and_(running, warned, sa.not_(red))
    return sa.and_(running, warned)


def overdue_board_order(now: datetime) -> tuple[sa.ColumnElement[Any], ...]:
    """The overdue board's order at ``now``: by street, red before yellow, then the earliest deadline.

    The earliest deadline is the longest overdue. The board and its export both sort by this, so the
    file lists the cases as the supervisor saw them; callers add the id to break ties.
    """
    red = deadline_condition("red", now)
    return (cases.c.street_code, sa.case((red, 0), else_=1), cases.c.due)


def _awaiting_callback() -> sa.ColumnElement[bool]:
    """Closed resolved cases, and merged ones whose reporter is unrated while the survivor is resolved."""
    survivor = cases.alias("survivor")
    resolved = cases.c.outcome == "resolved"
    return sa.or_(
        (cases.c.status == "closed") & resolved,
        (cases.c.status == "merged")
        & cases.c.callback_valid.is_(None)
        & sa.exists().where(
            survivor.c.id == cases.c.merged_into,
            survivor.c.status.in_(["closed", "evaluated"]),
            survivor.c.outcome == "resolved",
        ),
    )


def case_rows(
    conn: Connection, *, scope: CaseScope, filters: CaseFilters, now: datetime
) -> tuple[int, Iterator[dict[str, Any]]]:
    """Every case the scope allows that matches (for an export): the count, and the rows newest first.

    Filtered by a level of the overdue board, the rows come in the board's order instead: that filter is
    the board's, and its export should read like the board.
    """
    where = [scope_condition(scope), *filter_conditions(filters, now)]
    total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    order = (*overdue_board_order(now), cases.c.id) if filters.deadline else (cases.c.id.desc(),)
    q = sa.select(*LIST_COLUMNS).where(*where).order_by(*order)
    return int(total), (dict(r._mapping) for r in conn.execute(q))


def photo_in_scope(conn: Connection, *, name: str, scope: CaseScope) -> bool:
    """Whether a case ``scope`` covers holds the photo ``name`` (its own photos or a step's attachments)."""
    if scope.nothing:
        return False
    query = (
        sa.select(cases.c.id)
        .join(case_photos, case_photos.c.case_id == cases.c.id)
        .where(case_photos.c.name == name, scope_condition(scope))
        .limit(1)
    )
    return conn.execute(query).first() is not None


def row_reporter(row: dict[str, Any], actor: Actor) -> Reporter:
    """The reporter of a list row as ``actor`` may see them (a list and its export mask alike)."""
    reporter = Reporter(name=row["reporter_name"], phone=row["reporter_phone"])
    return reporter_seen_by(actor, reporter, assignee_code=row["assignee_code"], org_code=row["org_code"])


def escape_like(text: str) -> str:
    """Text for a LIKE pattern with its wildcards taken literally (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
