"""The grid worker roster: search it (phones masked), add a worker, change one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import (
    WorkerFilters,
    worker_page,
)
from civicgrid.domain.administration import WorkerEdit
from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.queue_views import pages_of
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import PAGE_SIZE, AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import administration, reference

router = APIRouter(prefix="/admin", include_in_schema=False)


def worker_filters(
    q: Annotated[str | None, Query(max_length=100)] = None,
    org: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[Literal["fulltime", "professional", ""], Query()] = "",
    grid: Annotated[str | None, Query(max_length=32)] = None,
    inactive: bool = False,
) -> WorkerFilters:
    """The roster's filters as its form sends them (for the page and its export); empty means any."""
    return WorkerFilters(
        text=q or None,
        org_code=org or None,
        kind=kind or None,
        grid_code=grid or None,
        include_inactive=inactive,
    )


WorkerFiltersDep = Annotated[WorkerFilters, Depends(worker_filters)]


@router.get("/workers")
def workers_page(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    filters: WorkerFiltersDep,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """The grid workers, searchable by code or name, organisation, kind and grid."""
    with app.engine.connect() as conn:
        found = worker_page(conn, filters, page=page, page_size=PAGE_SIZE)
    context = {
        "found": found,
        "pages": pages_of(found.total, PAGE_SIZE),
        "filters": {
            "q": filters.text or "",
            "org": filters.org_code or "",
            "kind": filters.kind or "",
            "grid": filters.grid_code or "",
            "inactive": filters.include_inactive,
        },
        "organisations": reference.organisations(uow=app.reader),
        "query": str(request.url.query),
    }
    return render(request, "admin/workers.html", context)


@router.get("/workers/new")
def worker_new(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """The form for a new grid worker."""
    blank = {
        "code": "",
        "name": "",
        "phone": "",
        "kind": "fulltime",
        "org_code": "",
        "grid_codes": [],
        "active": True,
    }
    return _worker_form(request, app, blank, is_new=True)


@router.get("/workers/{code}")
def worker_edit(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Edit one grid worker."""
    with app.reader() as u:
        row = u.reference.worker_row(code)
    if row is None:
        raise NotFound(what=code)
    return _worker_form(request, app, row, is_new=False)


def _worker_form(
    request: Request,
    app: AppDep,
    row: dict[str, Any],
    *,
    is_new: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "row": row,
        "is_new": is_new,
        "error": error,
        "organisations": reference.organisations(uow=app.reader),
    }
    return render(request, "admin/worker_form.html", context, status_code=status)


@router.post("/workers")
def worker_save(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    code: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    kind: Annotated[str, Form(max_length=16)] = "fulltime",
    org_code: Annotated[str, Form(max_length=32)] = "",
    grid_codes: Annotated[str, Form(max_length=4000)] = "",
    active: Annotated[bool, Form()] = False,
    is_new: Annotated[bool, Form()] = False,
) -> Response:
    """Add or change a grid worker; grids are codes separated by spaces or commas."""
    grids_given = tuple(g for g in grid_codes.replace(",", " ").replace("，", " ").split() if g)
    edit = WorkerEdit(code, name, phone, kind, org_code or None, grids_given, active)
    try:
        administration.save_worker(
            uow=app.uow, actor=caller.actor, edit=edit, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        row = {**edit.__dict__, "grid_codes": list(grids_given), "org_code": org_code}
        return _worker_form(request, app, row, is_new=is_new, error=message, status=status)
    return redirect(f"/admin/workers?q={code.strip()}", flash=N_("Saved."))
