"""The shift supervisor (值班长): approvals, the overdue board, escalations and supervision orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from civicgrid.analytics import queues
from civicgrid.analytics.case_queries import PENDING_KINDS
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import DomainError
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.moments import stored_moment
from civicgrid.entrypoints.web.queue_views import (
    export_links,
    pages_of,
    present,
    render_desk,
    with_query,
)
from civicgrid.entrypoints.web.quick import locale_of
from civicgrid.entrypoints.web.rendering import redirect, refusal
from civicgrid.i18n import N_
from civicgrid.services import grids
from civicgrid.services.approvals import decide_request

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[Caller, Depends(require(Role.SUPERVISOR))]
PAGE_SIZE = 25
KIND_FILTER = Annotated[str, Query(max_length=16)]


@router.get("/supervisor")
def approvals_page(
    request: Request,
    app: AppDep,
    caller: Supervisor,
    kind: KIND_FILTER = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Returns, extensions and suspensions waiting for a decision, the oldest request first."""
    return _approvals(request, app, caller, kind, page)


def _approvals(
    request: Request,
    app: AppDep,
    caller: Caller,
    kind: str,
    page: int,
    *,
    typed: dict[str, str] | None = None,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    kind = kind if kind in PENDING_KINDS else ""
    now = app.clock()
    with app.engine.connect() as conn:
        found = queues.approvals(
            conn, scope=scope_of(caller.actor), kind=kind or None, page=page, page_size=PAGE_SIZE
        )
        rows = present(conn, found.page.rows, caller.actor, now, locale_of(request))
    context = {
        "kind": kind,
        "kinds": PENDING_KINDS,
        "rows": rows,
        "requests": {r.number: _request_of(r.extra.get("pending")) for r in rows},
        "counts": found.counts,
        "total": sum(found.counts.values()),
        "page": found.page.page,
        "pages": pages_of(found.page.total, PAGE_SIZE),
        "base_url": with_query("/supervisor", [("kind", kind)]),
        "exports": export_links([("pending", "true")]),
        "typed": typed or {},
        "error": error,
    }
    return render_desk(request, "supervisor/approvals.html", context, status_code=status)


def _request_of(pending: Any) -> dict[str, Any]:
    """The pending request as the page shows it (times as datetimes)."""
    p = dict(pending or {})
    for key in ("at", "new_due"):
        if p.get(key):
            p[key] = stored_moment(p[key])
    return p


@router.post("/supervisor/{number}/decide")
def decide(
    request: Request,
    app: AppDep,
    caller: Supervisor,
    number: str,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
    kind: KIND_FILTER = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Approve or deny a request in place, with a reason (required to deny)."""
    try:
        decide_request(
            uow=app.uow,
            deadlines=app.deadlines,
            number=number,
            actor=caller.actor,
            now=app.clock(),
            approve=decision == "approve",
            note=note,
            expected_version=version,
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _approvals(
            request, app, caller, kind, page, typed={number: note}, error=(number, message), status=status
        )
    done = N_("Request approved.") if decision == "approve" else N_("Request denied.")
    return redirect(with_query("/supervisor", [("kind", kind)]), flash=done)


@router.get("/supervisor/overdue")
def overdue_page(
    request: Request,
    app: AppDep,
    caller: Supervisor,
    area: Annotated[str, Query(max_length=32)] = "",
    level: Annotated[str, Query(max_length=8)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Cases past (red) or near (yellow) their deadline, by street, the longest overdue first."""
    level = level if level in ("red", "yellow") else ""
    now = app.clock()
    with app.engine.connect() as conn:
        found = queues.overdue_board(
            conn,
            scope=scope_of(caller.actor),
            now=now,
            area_code=area or None,
            level=level or None,
            page=page,
            page_size=50,
        )
        rows = present(conn, found.page.rows, caller.actor, now, locale_of(request))
    streets = grids.list_areas(uow=app.reader, parent_code=None, level=Level.STREET)
    params = [("area", area), ("level", level)]
    context = {
        "rows": rows,
        "counts": found.counts,
        "streets": [(s, found.counts.get(f"street:{s['code']}", 0)) for s in streets],
        "area": area,
        "level": level,
        "total": found.page.total,
        "page": found.page.page,
        "pages": pages_of(found.page.total, 50),
        "base_url": with_query("/supervisor/overdue", params),
        "exports": export_links([("area", area), ("deadline", level or "warned")]),  # the board's filter
        "now": now,
    }
    return render_desk(request, "supervisor/overdue.html", context)


@router.get("/supervisor/escalations")
def escalations_page(
    request: Request,
    app: AppDep,
    caller: Supervisor,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    orders_page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Cases handed up the grid chain, and unanswered supervision orders (督办) with their deadlines."""
    now, scope = app.clock(), scope_of(caller.actor)
    with app.engine.connect() as conn:
        up = queues.escalations(conn, scope=scope, page=page, page_size=PAGE_SIZE)
        orders = queues.supervision_orders(conn, scope=scope, now=now, page=orders_page, page_size=PAGE_SIZE)
        up_rows = present(conn, up.rows, caller.actor, now, locale_of(request))
        order_rows = present(conn, orders.rows, caller.actor, now, locale_of(request))
    context = {
        "up": up_rows,
        "up_total": up.total,
        "up_page": up.page,
        "up_pages": pages_of(up.total, PAGE_SIZE),
        "orders": order_rows,
        "respond_by": {r.number: stored_moment(r.extra.get("respond_by")) for r in order_rows},
        "orders_total": orders.total,
        "orders_page": orders.page,
        "orders_pages": pages_of(orders.total, PAGE_SIZE),
        "exports": export_links([("escalated", "true")]),
        "orders_exports": export_links([("supervised", "true")]),
        "now": now,
    }
    return render_desk(request, "supervisor/escalations.html", context)
