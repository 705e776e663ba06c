"""The grid worker's phone (网格员): my tasks, a patrol report in three taps, my grid on a map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from civicgrid.analytics import field_queries, queues
from civicgrid.analytics.case_labels import labels_for
from civicgrid.analytics.case_queries import CaseFilters, list_cases
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.api.routes.photos import read_uploads
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.queue_views import export_links, present, render_desk
from civicgrid.entrypoints.web.quick import QUICK_ACTIONS, locale_of, quick_action
from civicgrid.entrypoints.web.rendering import redirect, refusal
from civicgrid.i18n import N_
from civicgrid.services import reference
from civicgrid.services.patrol import PatrolFind, prepare_patrol
from civicgrid.services.phone_intake import PhoneCallRefused

router = APIRouter(include_in_schema=False)
Worker = Annotated[Caller, Depends(require(Role.GRID_WORKER))]
DONE = {"accept": N_("Case accepted."), "start": N_("Work started.")}


@router.get("/field/tasks")
def tasks_page(request: Request, app: AppDep, caller: Worker) -> Response:
    """My tasks by step (to accept, to start, to report back), the nearest deadline first."""
    return _tasks(request, app, caller)


def _tasks(
    request: Request, app: AppDep, caller: Caller, *, error: str | None = None, status: int = 200
) -> Response:
    now = app.clock()
    with app.engine.connect() as conn:
        found = queues.field_tasks(conn, scope=scope_of(caller.actor), now=now)
        groups = {g: present(conn, p.rows, caller.actor, now, locale_of(request)) for g, p in found.items()}
    totals = {g: p.total for g, p in found.items()}
    statuses = [s for group in queues.TASK_GROUPS.values() for s in group]
    context = {
        "groups": groups,
        "totals": totals,
        "error": error,
        "exports": export_links(("status", s) for s in statuses),
    }
    return render_desk(request, "field/tasks.html", context, status_code=status)


@router.post("/field/tasks/{number}/{action}")
def task_step(
    request: Request,
    app: AppDep,
    caller: Worker,
    number: str,
    action: str,
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Accept (签收) or start (处置) a task in place; the other steps are on the case page."""
    if action not in QUICK_ACTIONS - {"register"}:
        return redirect(f"/cases/{number}")
    try:
        quick_action(app, caller, number, action, version)
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _tasks(request, app, caller, error=message, status=status)
    return redirect("/field/tasks", flash=DONE[action])


@router.get("/field/patrol")
def patrol_page(
    request: Request, app: AppDep, caller: Worker, filed: str = Query("", max_length=32)
) -> Response:
    """Patrol report: my location, what I found, file (with an optional photo and note)."""
    return _patrol(request, app, caller, PatrolFind(), filed=filed)


@router.post("/field/patrol")
async def file_patrol(
    request: Request,
    app: AppDep,
    caller: Worker,
    category: Annotated[str, Form()] = "",
    category_search: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    microgrid: Annotated[str, Form()] = "",
    photo: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """File the patrol report (source patrol, reporter the worker); refusals keep what was tapped."""
    find = PatrolFind(category_search.strip() or category, note, lon, lat, microgrid)
    try:
        files = [f for f in photo or [] if f.filename]
        data = await read_uploads(app, files[:3])
        stored = await run_in_threadpool(app.photos.store_many, data, max_count=3) if data else []
        find = PatrolFind(find.category, note, lon, lat, microgrid, tuple(p.name for p in stored))
        report = await run_in_threadpool(prepare_patrol, uow=app.reader, actor=caller.actor, find=find)
        receipt = await app.intake.submit(report=report, actor=caller.actor, now=app.clock())
    except DomainError as exc:
        message, fields, status = refusal(request, exc)
        if isinstance(exc, PhoneCallRefused):
            fields[exc.field] = message
        return _patrol(request, app, caller, find, error=message, fields=fields, status=status)
    return redirect(f"/field/patrol?filed={receipt.number}")


def _patrol(
    request: Request,
    app: AppDep,
    caller: Caller,
    find: PatrolFind,
    *,
    filed: str = "",
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    now = app.clock()
    categories = reference.categories(uow=app.reader)
    with app.engine.connect() as conn:
        common = field_queries.common_categories(conn, grid_codes=caller.actor.area_codes, now=now)
        done = (
            list_cases(conn, scope=scope_of(caller.actor), filters=CaseFilters(numbers=[filed]), now=now)
            if filed
            else None
        )
        filed_rows = present(conn, done.rows, caller.actor, now, locale_of(request)) if done else []
    by_code = {c["code"]: c for c in categories}
    context: dict[str, Any] = {
        "find": find,
        "common": [by_code[c] for c in common if c in by_code],
        "categories": categories,
        "filed": filed_rows[0] if filed_rows else None,
        "error": error,
        "fields": fields or {},
    }
    return render_desk(request, "field/patrol.html", context, status_code=status)


@router.get("/field/grid")
def grid_page(request: Request, app: AppDep, caller: Worker) -> Response:
    """My grid on the map, with my open cases as points."""
    now = app.clock()
    with app.engine.connect() as conn:
        rows = present(
            conn,
            field_queries.open_cases(conn, scope=scope_of(caller.actor)),
            caller.actor,
            now,
            locale_of(request),
        )
        grids = sorted(caller.actor.area_codes)
        names = labels_for(conn, locale=locale_of(request), area_codes=grids)
    points = [
        {
            "number": r.number,
            "lon": r.case.lon,
            "lat": r.case.lat,
            "overdue": r.case.overdue,
            "warning": r.case.warning,
            "label": f"{r.category} · {r.place}",
        }
        for r in rows
    ]
    context = {
        "rows": rows,
        "points": points,
        "focus": grids[0] if grids else "",
        "grids": [(g, names.area(g)) for g in grids],
    }
    return render_desk(request, "field/grid.html", context)
