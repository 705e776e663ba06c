"""The department handler's queue (承办人): to accept, in progress, waiting for a decision, overdue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from civicgrid.analytics import queues
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.queue_views import export_links, pages_of, present, render_desk, with_query
from civicgrid.entrypoints.web.quick import locale_of, quick_action
from civicgrid.entrypoints.web.rendering import redirect, refusal
from civicgrid.i18n import N_

router = APIRouter(include_in_schema=False)
Handler = Annotated[Caller, Depends(require(Role.HANDLER))]
PAGE_SIZE = 25
# The same lists in the vocabulary of /api/v1/cases (and the exports that take its parameters).
EXPORT_FILTERS = {
    "to_accept": [("status", "dispatched")],
    "in_progress": [("status", "accepted"), ("status", "in_progress")],
    "pending": [("pending", "true")],
    "overdue": [("overdue", "true")],
}


@router.get("/dept/queue")
def queue_page(
    request: Request,
    app: AppDep,
    caller: Handler,
    group: Annotated[str, Query(max_length=16)] = "to_accept",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """My department's cases in one group, the nearest deadline first, with every group's count."""
    return _queue(request, app, caller, group, page)


def _queue(
    request: Request,
    app: AppDep,
    caller: Caller,
    group: str,
    page: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    group = group if group in queues.DEPT_GROUPS else queues.DEPT_GROUPS[0]
    now = app.clock()
    with app.engine.connect() as conn:
        found = queues.department_queue(
            conn, scope=scope_of(caller.actor), group=group, now=now, page=page, page_size=PAGE_SIZE
        )
        rows = present(conn, found.page.rows, caller.actor, now, locale_of(request))
    context = {
        "group": group,
        "groups": queues.DEPT_GROUPS,
        "rows": rows,
        "counts": found.counts,
        "page": found.page.page,
        "pages": pages_of(found.page.total, PAGE_SIZE),
        "base_url": with_query("/dept/queue", [("group", group)]),
        "exports": export_links(EXPORT_FILTERS[group]),
        "error": error,
    }
    return render_desk(request, "dept/queue.html", context, status_code=status)


@router.post("/dept/queue/{number}/accept")
def accept_from_queue(
    request: Request,
    app: AppDep,
    caller: Handler,
    number: str,
    version: Annotated[int | None, Form()] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Accept a case for the department (签收) in place and come back to the queue."""
    try:
        quick_action(app, caller, number, "accept", version)
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _queue(request, app, caller, "to_accept", page, error=message, status=status)
    return redirect("/dept/queue?group=to_accept", flash=N_("Case accepted."))
