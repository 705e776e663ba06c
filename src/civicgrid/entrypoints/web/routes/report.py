"""The resident's report page and its confirmation: /report, /report/sent/{token}.

With JavaScript the page files through the JSON API (photos first, then the case, with an Idempotency-Key);
without it the same form is a multipart POST here, to the same intake service.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from civicgrid.adapters.photos import PhotoTooMany
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller, limit_public
from civicgrid.entrypoints.api.routes.photos import read_uploads, require_photos
from civicgrid.entrypoints.web.access import PageCaller
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.report_form import (
    MAX_PHOTOS,
    TypedReport,
    chosen_uploads,
    grouped,
    new_idempotency_key,
    page_categories,
    page_locale,
    script_json,
)
from civicgrid.i18n import translate
from civicgrid.services import reference, tracking

router = APIRouter(include_in_schema=False)


@router.get("/report")
def report_page(
    request: Request, app: AppDep, caller: PageCaller, q: str = "", category: str = ""
) -> Response:
    """The report form; ``q`` searches the categories for browsers without JavaScript."""
    typed = TypedReport(category_code=category[:32], idempotency_key=new_idempotency_key())
    return _form(request, app, typed, search=q[:50])


@router.post("/report")
async def file_report(request: Request, app: AppDep, caller: PageCaller) -> Response:
    """The form sent without JavaScript: photos stored, the report filed, then its confirmation page."""
    form = await request.form()
    typed = TypedReport.from_form(form)
    try:
        if caller.actor.role is Role.RESIDENT:
            limit_public(app, "reports", request)
        uploads = chosen_uploads(form)
        if len(typed.photos) + len(uploads) > MAX_PHOTOS:
            raise PhotoTooMany(count=len(typed.photos) + len(uploads), limit=MAX_PHOTOS)
        if uploads:
            stored = await run_in_threadpool(app.photos.store_many, await read_uploads(app, uploads))
            typed.photos += [p.name for p in stored]  # kept in the form if the report is refused
        receipt = await app.intake.submit(
            report=typed.report(require_photos(app, typed.photos)),
            actor=caller.actor,
            now=app.clock(),
            idempotency=(_scope(caller), typed.idempotency_key),
        )
    except DomainError as exc:
        message, fields, status = refusal(request, exc)
        return _form(request, app, typed, message=message, errors=fields, status_code=status)
    return redirect(f"/report/sent/{receipt.tracking_token}")


@router.get("/report/sent/{token}")
def report_sent(token: str, request: Request, app: AppDep, caller: PageCaller) -> Response:
    """The confirmation: the case number, the tracking link, what happens next and the time limit."""
    try:
        tracked = tracking.case_by_token(uow=app.reader, token=token)
    except NotFound:
        raise HTTPException(404) from None
    case, area = tracked.own or tracked.case, tracked.community  # the report this visitor just filed
    locale = page_locale(request)
    found = {c.code: c for c in page_categories(app, locale)}
    category = found.get(case.category_code)
    limit = category.time_limits.get(case.urgency.value) if category else None
    base = (app.settings.public_url or str(request.base_url)).rstrip("/")
    context = {
        "case": case,
        "area": area,
        "category": category,
        "time_limit": TimeLimit.parse(limit).describe(lambda m: translate(m, locale)) if limit else "",
        "tracking_url": f"{base}/track/{token}",
        "tracking_path": f"/track/{token}",
    }
    return render(request, "report_sent.html", context)


def _form(
    request: Request,
    app: AppDep,
    typed: TypedReport,
    *,
    search: str = "",
    message: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    locale = page_locale(request)
    categories = page_categories(app, locale)
    matches: list[Any] = []
    if search.strip():
        codes = [d["code"] for d in reference.categories(uow=app.reader, search=search)]
        by_code = {c.code: c for c in categories}
        matches = [by_code[code] for code in codes if code in by_code]
    chosen = next((c for c in categories if c.code == typed.category_code), None)
    context = {
        "form": typed,
        "groups": grouped(categories),
        "chosen": chosen,
        "search": search,
        "matches": matches,
        "message": message,
        "errors": defaultdict(str, errors or {}),  # a field without an error reads as ""
        "search_index": script_json(
            [
                {"c": c.code, "n": c.name, "g": c.major_name, "s": c.search_text, "a": c.anonymous_allowed}
                for c in categories
            ]
        ),
    }
    return render(request, "report.html", context, status_code=status_code)


def _scope(caller: Caller) -> str:
    # The API's scope for idempotency keys, so the page's key means the same at either door.
    return f"user:{caller.actor.id}" if caller.signed_in else f"client:{caller.client}"
