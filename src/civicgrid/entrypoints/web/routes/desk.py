"""The hotline desk (受理员): phone intake and the queue of reports to register and dispatch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from civicgrid.analytics import queues
from civicgrid.analytics.case_queries import CaseFilters, list_cases
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import DomainError
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.queue_views import export_links, pages_of, present, render_desk, with_query
from civicgrid.entrypoints.web.quick import locale_of, quick_action
from civicgrid.entrypoints.web.rendering import redirect, refusal
from civicgrid.i18n import N_
from civicgrid.services import grids, reference
from civicgrid.services.phone_intake import PhoneCall, PhoneCallRefused, prepare_call

router = APIRouter(include_in_schema=False)
Desk = Annotated[Caller, Depends(require(Role.OPERATOR, Role.SUPERVISOR))]
PAGE_SIZE = 25
# API field names a refusal may name, as the phone form calls them.
FORM_FIELDS = {"category_code": "category", "lon": "address", "lat": "address"}


@router.get("/desk/intake")
def intake_page(
    request: Request, app: AppDep, caller: Desk, filed: str = Query("", max_length=32)
) -> Response:
    """The phone intake form (after filing, with the new case's number and a link to it)."""
    return _intake(request, app, caller, PhoneCall(), filed=filed)


@router.post("/desk/intake")
async def file_call(
    request: Request,
    app: AppDep,
    caller: Desk,
    reporter_name: Annotated[str, Form()] = "",
    reporter_phone: Annotated[str, Form()] = "",
    anonymous: Annotated[bool, Form()] = False,
    category: Annotated[str, Form()] = "",
    urgency: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    microgrid: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    call_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """File the call as a hotline case; refused input comes back in the form with the reason."""
    call = PhoneCall(
        reporter_name, reporter_phone, anonymous, category, urgency, description, address, lon, lat, microgrid
    )
    try:
        prepared = await run_in_threadpool(prepare_call, uow=app.reader, call=call)
        # The form's key makes a double submit (or a retry after a lost answer) file one case, not two.
        receipt = await app.intake.submit(
            report=prepared.report,
            actor=caller.actor,
            now=app.clock(),
            idempotency=(f"user:{caller.actor.id}", f"desk:{call_key}") if call_key else None,
        )
    except DomainError as exc:
        message, fields, status = refusal(request, exc)
        fields = {FORM_FIELDS.get(k, k): v for k, v in fields.items()}
        if isinstance(exc, PhoneCallRefused):
            fields[exc.field] = message
        return _intake(request, app, caller, call, error=message, fields=fields, status=status, key=call_key)
    return redirect(f"/desk/intake?filed={receipt.number}")


def _intake(
    request: Request,
    app: AppDep,
    caller: Caller,
    call: PhoneCall,
    *,
    filed: str = "",
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
    key: str = "",
) -> Response:
    locale = locale_of(request)
    result = None
    if filed:  # only a case this desk may see: the number in the address bar could be anyone's
        with app.engine.connect() as conn:
            found = list_cases(
                conn, scope=scope_of(caller.actor), filters=CaseFilters(numbers=[filed]), now=app.clock()
            )
            rows = present(conn, found.rows, caller.actor, app.clock(), locale)
        result = rows[0] if rows else None
    context = {
        "call": call,
        "filed": result,
        "error": error,
        "fields": fields or {},
        "categories": reference.categories(uow=app.reader),
        "call_key": key or secrets.token_urlsafe(12),
    }
    return render_desk(request, "desk/intake.html", context, status_code=status)


def _queue_params(area: str, category: str, urgency: str, status: str) -> list[tuple[str, str]]:
    return [("area", area), ("category", category), ("urgency", urgency), ("status", status)]


@router.get("/desk/queue")
def queue_page(
    request: Request,
    app: AppDep,
    caller: Desk,
    area: Annotated[str, Query(max_length=32)] = "",
    category: Annotated[str, Query(max_length=32)] = "",
    urgency: Annotated[str, Query(max_length=16)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Reports to register and cases to dispatch, in the desk's areas, the oldest (and most urgent) first."""
    return _queue(request, app, caller, _queue_params(area, category, urgency, status), page)


def _queue(
    request: Request,
    app: AppDep,
    caller: Caller,
    params: list[tuple[str, str]],
    page: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    f = dict(params)
    filters = CaseFilters(
        statuses=[f["status"]] if f["status"] else [],
        area_code=f["area"] or None,
        category_code=f["category"] or None,
        urgency=f["urgency"] or None,
    )
    now, locale = app.clock(), locale_of(request)
    with app.engine.connect() as conn:
        found = queues.intake_queue(
            conn, scope=scope_of(caller.actor), filters=filters, now=now, page=page, page_size=PAGE_SIZE
        )
        rows = present(conn, found.page.rows, caller.actor, now, locale)
    statuses = [f["status"]] if f["status"] else list(queues.INTAKE_STATUSES)
    context = {
        "rows": rows,
        "total": found.page.total,
        "counts": found.counts,
        "page": found.page.page,
        "pages": pages_of(found.page.total, PAGE_SIZE),
        "base_url": with_query("/desk/queue", params),
        "filters": f,
        "streets": grids.list_areas(uow=app.reader, parent_code=None, level=Level.STREET),
        "categories": reference.categories(uow=app.reader),
        "exports": export_links(
            [*(("status", s) for s in statuses), *(p for p in params if p[0] != "status")]
        ),
        "error": error,
        "action_query": with_query("", params),
    }
    return render_desk(request, "desk/queue.html", context, status_code=status_code)


@router.post("/desk/queue/{number}/register")
def register_from_queue(
    request: Request,
    app: AppDep,
    caller: Desk,
    number: str,
    version: Annotated[int | None, Form()] = None,
    area: Annotated[str, Query(max_length=32)] = "",
    category: Annotated[str, Query(max_length=32)] = "",
    urgency: Annotated[str, Query(max_length=16)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Register a report from the queue (立案) and come back to the same filtered queue."""
    params = _queue_params(area, category, urgency, status)
    try:
        quick_action(app, caller, number, "register", version)
    except DomainError as exc:
        message, _fields, code = refusal(request, exc)
        return _queue(request, app, caller, params, page, error=message, status_code=code)
    return redirect(
        with_query("/desk/queue", [*params, ("page", str(page) if page > 1 else "")]),
        flash=N_("Case registered."),
    )
