"""The work queues of the desks: intake, grid workers, departments and the shift supervisor.

Each queue is the case list of ``case_queries`` (same scope rule, same columns) with its own statuses and
order: the case that has waited longest comes first. Pages and exports read the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import case_events, cases
from civicgrid.analytics.case_queries import (
    LIST_COLUMNS,
    PENDING_KINDS,
    CaseFilters,
    Page,
    deadline_condition,
    filter_conditions,
    overdue_board_order,
    scope_condition,
)
from civicgrid.domain.access import CaseScope
from civicgrid.domain.case_types import ASSIGNED_STATUSES, OPEN_STATUSES, Action, Status

# What a phone desk still has to do: register the report, then dispatch it.
INTAKE_STATUSES = (Status.SUBMITTED.value, Status.REGISTERED.value)
# A grid worker's day, in the order the work goes: sign for it, start it, report the result back.
TASK_GROUPS = {
    "to_accept": (Status.DISPATCHED.value,),
    "to_start": (Status.ACCEPTED.value,),
    "to_report": (Status.IN_PROGRESS.value,),
}
DEPT_GROUPS = ("to_accept", "in_progress", "pending", "overdue")
_RUNNING = [s.value for s in ASSIGNED_STATUSES]
OPEN_CODES = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True)
class Counted:
    """One page of a queue and how many cases each of its groups holds."""

    page: Page
    counts: dict[str, int]


def _page(
    conn: Connection,
    where: Sequence[sa.ColumnElement[bool]],
    order: Sequence[Any],
    page: int,
    page_size: int,
    extra: Sequence[Any] = (),
    source: Any = cases,
) -> Page:
    """One page of case rows (the list columns plus ``extra``) from ``source`` (cases, or cases joined)."""
    page, page_size = max(1, page), max(1, min(page_size, 200))
    total = conn.execute(sa.select(sa.func.count()).select_from(source).where(*where)).scalar_one()
    q = (
        sa.select(*LIST_COLUMNS, *extra)
        .select_from(source)
        .where(*where)
        .order_by(*order, cases.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [dict(r._mapping) for r in conn.execute(q)]
    return Page(rows=rows, total=int(total), page=page, page_size=page_size)


def _count_by(conn: Connection, where: Sequence[sa.ColumnElement[bool]], column: Any) -> dict[str, int]:
    q = sa.select(column, sa.func.count()).select_from(cases).where(*where).group_by(column)
    return {str(key): int(n) for key, n in conn.execute(q)}


def intake_queue(
    conn: Connection,
    *,
    scope: CaseScope,
    filters: CaseFilters,
    now: datetime,
    page: int = 1,
    page_size: int = 25,
) -> Counted:
    """Reports still to register (submitted) and cases still to dispatch (registered), oldest first."""
    statuses = [s for s in filters.statuses if s in INTAKE_STATUSES] or list(INTAKE_STATUSES)
    chosen = CaseFilters(**{**filters.__dict__, "statuses": statuses})
    where = [scope_condition(scope), *filter_conditions(chosen, now)]
    base = [
        scope_condition(scope),
        *filter_conditions(CaseFilters(**{**filters.__dict__, "statuses": INTAKE_STATUSES}), now),
    ]
    order = [_urgency_rank(), cases.c.submitted_at]
    return Counted(_page(conn, where, order, page, page_size), _count_by(conn, base, cases.c.status))


def _urgency_rank() -> sa.ColumnElement[int]:
    # Emergencies jump the queue; within a rank the oldest report comes first.
    return sa.case((cases.c.urgency == "emergency", 0), (cases.c.urgency == "urgent", 1), else_=2)


def field_tasks(conn: Connection, *, scope: CaseScope, now: datetime, limit: int = 100) -> dict[str, Page]:
    """A grid worker's tasks (assigned to them or in their grids) by step, the nearest deadline first."""
    out = {}
    for group, statuses in TASK_GROUPS.items():
        where = [scope_condition(scope), cases.c.status.in_(statuses)]
        order = [cases.c.due.is_(None), cases.c.due, cases.c.submitted_at]
        out[group] = _page(conn, where, order, 1, limit)
    return out


def _dept_condition(group: str, now: datetime) -> sa.ColumnElement[bool]:
    if group == "to_accept":
        return cases.c.status == Status.DISPATCHED.value
    if group == "in_progress":
        return cases.c.status.in_([Status.ACCEPTED.value, Status.IN_PROGRESS.value])
    if group == "pending":
        return sa.and_(cases.c.status.in_(OPEN_CODES), _pending_kind().in_(PENDING_KINDS))
    return sa.and_(cases.c.status.in_(_RUNNING), cases.c.due < now)  # overdue


def department_queue(
    conn: Connection, *, scope: CaseScope, group: str, now: datetime, page: int = 1, page_size: int = 25
) -> Counted:
    """A department's cases in one of DEPT_GROUPS (to accept, in progress, pending a decision, overdue)."""
    if group not in DEPT_GROUPS:
        group = DEPT_GROUPS[0]
    counts = {
        g: int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(cases)
                .where(scope_condition(scope), _dept_condition(g, now))
            ).scalar_one()
        )
        for g in DEPT_GROUPS
    }
    where = [scope_condition(scope), _dept_condition(group, now)]
    order = [cases.c.due.is_(None), cases.c.due, cases.c.submitted_at]
    return Counted(_page(conn, where, order, page, page_size), counts)


def _pending_kind() -> sa.ColumnElement[str]:
    kind: sa.ColumnElement[str] = cases.c.pending["kind"].as_string()
    return kind


def approvals(
    conn: Connection, *, scope: CaseScope, kind: str | None, page: int = 1, page_size: int = 25
) -> Counted:
    """Requests waiting for a supervisor (returns, extensions, suspensions), the oldest request first."""
    base = [scope_condition(scope), cases.c.status.in_(OPEN_CODES), _pending_kind().in_(PENDING_KINDS)]
    where = base + ([_pending_kind() == kind] if kind in PENDING_KINDS else [])
    order = [cases.c.pending["at"].as_string()]
    return Counted(_page(conn, where, order, page, page_size), _count_by(conn, base, _pending_kind()))


def overdue_board(
    conn: Connection,
    *,
    scope: CaseScope,
    now: datetime,
    area_code: str | None,
    level: str | None,
    page: int = 1,
    page_size: int = 50,
) -> Counted:
    """Running cases past their deadline (red) or near it (yellow), by street, the longest overdue first.

    ``counts`` holds 'red' and 'yellow' totals and one 'street:CODE' count per street.
    """
    base = [scope_condition(scope), deadline_condition("warned", now)]
    shown = CaseFilters(area_code=area_code, deadline=level or "warned")  # what its export link asks for
    where = [scope_condition(scope), *filter_conditions(shown, now)]

    def count(of: str) -> int:
        where_of = [scope_condition(scope), deadline_condition(of, now)]
        return int(conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where_of)).scalar_one())

    counts = {"red": count("red"), "yellow": count("yellow")}
    counts.update({f"street:{k}": v for k, v in _count_by(conn, base, cases.c.street_code).items()})
    return Counted(_page(conn, where, overdue_board_order(now), page, page_size), counts)


def _latest_event(action: Action) -> Any:
    """Per case, the last event of one kind (its seq)."""
    return (
        sa.select(case_events.c.case_id, sa.func.max(case_events.c.seq).label("seq"))
        .where(case_events.c.action == action.value)
        .group_by(case_events.c.case_id)
        .subquery()
    )


def escalations(conn: Connection, *, scope: CaseScope, page: int = 1, page_size: int = 25) -> Page:
    """Open cases handed up the grid chain (上报上级), the longest waiting first, with the last reason."""
    last = _latest_event(Action.ESCALATE)
    event = case_events.alias("escalation_event")
    where = [scope_condition(scope), cases.c.status.in_(OPEN_CODES), cases.c.escalation != "grid"]
    joined = cases.join(last, last.c.case_id == cases.c.id).join(
        event, sa.and_(event.c.case_id == last.c.case_id, event.c.seq == last.c.seq)
    )
    extra = (
        event.c.at.label("event_at"),
        event.c.note.label("event_note"),
        event.c.actor_name.label("event_by"),
        event.c.data.label("event_data"),
    )
    return _page(conn, where, [event.c.at], page, page_size, extra, source=joined)


def supervision_orders(
    conn: Connection, *, scope: CaseScope, now: datetime, page: int = 1, page_size: int = 25
) -> Page:
    """Open cases under an unanswered supervision order (督办), the earliest response due first.

    An order is answered once the assignee or department writes anything on the case after it.
    """
    last = _latest_event(Action.SUPERVISE)
    event = case_events.alias("order_event")
    later = case_events.alias("answer_event")
    answered = sa.exists().where(
        later.c.case_id == event.c.case_id,
        later.c.seq > event.c.seq,
        later.c.actor_role.in_(["grid_worker", "handler"]),
    )
    where = [scope_condition(scope), cases.c.status.in_(OPEN_CODES), sa.not_(answered)]
    joined = cases.join(last, last.c.case_id == cases.c.id).join(
        event, sa.and_(event.c.case_id == last.c.case_id, event.c.seq == last.c.seq)
    )
    respond_by = event.c.data["respond_by"].as_string()
    extra = (
        event.c.at.label("event_at"),
        event.c.note.label("event_note"),
        event.c.actor_name.label("event_by"),
        respond_by.label("respond_by"),
    )
    return _page(conn, where, [respond_by], page, page_size, extra, source=joined)
