"""/cases and /cases/{number}: the case search and the case page with the actions its caller may take."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.datastructures import FormData

from civicgrid.adapters.photos import PhotoNotFound, PhotoTooMany
from civicgrid.analytics.case_queries import list_cases
from civicgrid.domain.access import scope_of
from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.case_views import list_item
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.entrypoints.api.routes.photos import read_uploads, require_photos
from civicgrid.entrypoints.web import case_forms, case_list, case_sheet
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.case_messages import DONE, STALE
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.i18n import translate
from civicgrid.services import workflow

router = APIRouter(include_in_schema=False)

# Administrators configure the system and do not read case files (domain/access.py gives them none).
CaseReader = Annotated[
    Caller, Depends(require(Role.GRID_WORKER, Role.HANDLER, Role.OPERATOR, Role.SUPERVISOR, Role.LEADER))
]


@router.get("/cases")
def case_search(request: Request, app: AppDep, caller: CaseReader) -> Response:
    """The cases the caller may see, filtered, sorted and paged like GET /api/v1/cases."""
    query = case_list.parse_query(request, app.settings.timezone)
    now = app.clock()
    with app.engine.connect() as conn:
        found = list_cases(
            conn,
            scope=scope_of(caller.actor),
            filters=query.filters,
            now=now,
            page=query.page,
            page_size=query.page_size,
            sort=query.sort,
        )
        items = [list_item(r, caller.actor, now) for r in found.rows]
        context = case_list.context(conn, query, found, items, request_locale(request))
    return render(request, "cases/list.html", context)


@router.get("/cases/{number}")
def case_page(request: Request, number: str, app: AppDep, caller: CaseReader) -> Response:
    """One case: summary, photos, map, reporter (masked by role), history and the actions open now."""
    sheet = case_sheet.build(app, caller.actor, number, request_locale(request))
    return render(request, "cases/detail.html", {"sheet": sheet, **case_sheet.NO_FORM})


@router.get("/cases/{number}/photos/{first}/{rest}")
def case_photo(number: str, first: str, rest: str, app: AppDep, caller: CaseReader) -> Response:
    """A photo of this case, for those who may see the case (404 for anyone else, as for the case)."""
    case = workflow.view_case(uow=app.reader, number=number, actor=caller.actor)
    name = f"{first}/{rest}"
    if name not in case.photos and all(name not in e.attachments for e in case.history()):
        raise PhotoNotFound()
    return FileResponse(app.photos.path_of(name), media_type="image/jpeg")


@router.post("/cases/{number}/actions/{action}")
async def case_action(
    request: Request, number: str, action: str, app: AppDep, caller: CaseReader
) -> Response:
    """Take one lifecycle action through the same service as the JSON API; a refusal shows the form again."""
    if action not in case_forms.BODIES:
        raise NotFound(what=action)
    form = await request.form()
    try:
        photos = await _store_photos(app, action, form)
        params, expected = case_forms.parse(action, form, timezone=app.settings.timezone, photos=photos)
        await run_in_threadpool(
            workflow.perform,
            uow=app.uow,
            deadlines=app.deadlines,
            number=number,
            action=action,
            actor=caller.actor,
            now=app.clock(),
            params=params,
            expected_version=expected,
        )
    except DomainError as exc:
        return await run_in_threadpool(_refused, request, app, caller, number, action, form, exc)
    return redirect(f"/cases/{number}", flash=DONE[action])


async def _store_photos(app: AppDep, action: str, form: FormData) -> list[str]:
    files = case_forms.photo_files(form) if action in case_forms.WITH_PHOTOS else []
    if not files:
        return []
    if len(files) > 3:
        raise PhotoTooMany(count=len(files), limit=3)
    data = await read_uploads(app, files)  # type: ignore[arg-type]  # FastAPI's UploadFile is Starlette's
    stored = await run_in_threadpool(app.photos.store_many, data, max_count=3)
    return list(require_photos(app, [p.name for p in stored]))


def _refused(
    request: Request, app: AppDep, caller: Caller, number: str, action: str, form: Any, exc: DomainError
) -> Response:
    locale = request_locale(request)
    message, fields, status = refusal(request, exc)
    if isinstance(exc, case_forms.InvalidForm):
        fields = case_forms.field_messages(exc, locale)
    if exc.code == "stale_version":
        message = translate(STALE, locale)
    sheet = case_sheet.build(app, caller.actor, number, locale)  # a case gone from view: 404 as on GET
    context = {
        "sheet": sheet,
        "open_action": action,
        "message": message,
        "errors": fields,
        "values": case_forms.typed_values(action, form),
        "stale": exc.code == "stale_version",
    }
    return render(request, "cases/detail.html", context, status_code=status)
