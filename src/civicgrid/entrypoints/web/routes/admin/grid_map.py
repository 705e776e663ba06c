"""The grid map: import a GeoJSON map (checked whole first) and export the stored one."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from civicgrid.domain.geography import PROBLEM_LABELS, Level, MapRejected
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.rendering import render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_, translate
from civicgrid.services import grids
from civicgrid.services.grids import check_map_data

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/map")
def map_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """Import a new grid map (checked whole first) or export the current one."""
    with app.reader() as u:
        counts = u.areas.counts()
    return render(request, "admin/map.html", {"counts": counts, "report": None, "levels": _levels()})


@router.post("/map")
async def map_upload(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form()] = "check",
) -> Response:
    """Check a GeoJSON map, and import it when asked and it passes every rule."""
    locale = getattr(request.state, "locale", "zh_CN")
    with app.reader() as u:
        counts = u.areas.counts()
    report: dict[str, Any] = {"file": file.filename or "", "problems": [], "imported": None, "checked": None}
    status = 200
    raw = await file.read(app.settings.max_map_bytes + 1)
    if len(raw) > app.settings.max_map_bytes:
        report["problems"] = [
            {
                "kind": "too_large",
                "codes": [],
                "message": translate(N_("The file is larger than a grid map may be."), locale),
            }
        ]
        return render(request, "admin/map.html", _map_context(counts, report), status_code=413)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        report["problems"] = [
            {
                "kind": "not_json",
                "label": translate(N_("Not GeoJSON"), locale),
                "codes": [],
                "message": translate(N_("The file is not GeoJSON (JSON)."), locale),
            }
        ]
        return render(request, "admin/map.html", _map_context(counts, report), status_code=422)
    # Checking and storing thousands of polygons is CPU work: off the event loop.
    areas, problems = await run_in_threadpool(check_map_data, data)
    if problems:
        report["problems"] = _problems(problems, locale)
        status = 422
    elif mode == "import":
        try:
            report["imported"] = await run_in_threadpool(
                grids.import_areas, uow=app.uow, areas=areas, actor=caller.actor, now=app.clock()
            )
        except MapRejected as exc:
            report["problems"] = _problems(exc.problems, locale)
            status = 422
        with app.reader() as u:
            counts = u.areas.counts()
    else:
        report["checked"] = {level: sum(1 for a in areas if a.level.value == level) for level in _levels()}
    return render(request, "admin/map.html", _map_context(counts, report), status_code=status)


def _map_context(counts: dict[str, int], report: dict[str, Any]) -> dict[str, Any]:
    return {"counts": counts, "report": report, "levels": _levels()}


def _levels() -> list[str]:
    return [level.value for level in Level]


def _problems(problems: Any, locale: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": p.kind,
            "label": translate(PROBLEM_LABELS.get(p.kind, p.kind), locale),
            "codes": list(p.codes),
            "message": translate(p.template, locale, **dict(p.params)) if p.template else p.detail,
        }
        for p in problems
    ]


@router.get("/map/export")
def map_export(caller: AdminCaller, app: AppDep, level: Level | None = None) -> Response:
    """The stored map, or one level, as a GeoJSON file."""
    data = grids.export_map(uow=app.reader, level=level)
    name = f"grid-map-{level.value if level else 'all'}.geojson"
    return JSONResponse(
        data,
        media_type="application/geo+json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
