"""The category catalogue: each category's department, anonymity, activity and time limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicgrid.domain.administration import CategoryEdit
from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.queue_views import limit_text
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import administration, reference

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/categories")
def categories_page(
    request: Request, caller: AdminCaller, app: AppDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    """The catalogue: each category's department, urgency, anonymity and time limits."""
    rows = reference.categories(uow=app.reader, search=q)
    names = {o["code"]: o for o in reference.organisations(uow=app.reader)}
    context = {"rows": rows, "q": q or "", "orgs": names, "limit_text": limit_text}
    return render(request, "admin/categories.html", context)


@router.get("/categories/{code}")
def category_form(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Edit one category and its time limits."""
    return _category_form(request, app, code)


def _category_form(
    request: Request,
    app: AppDep,
    code: str,
    *,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    found = [c for c in reference.categories(uow=app.reader) if c["code"] == code]
    with app.reader() as u:
        stored = u.reference.category_row(code)
    if not found and stored is None:
        raise NotFound(what=code)
    row = found[0] if found else {**stored, "time_limits": {}}  # type: ignore[dict-item]
    if stored is not None:
        row["active"] = stored["active"]
    if typed:
        row = {**row, **typed}
    context = {"row": row, "error": error, "organisations": reference.organisations(uow=app.reader)}
    return render(request, "admin/category_form.html", context, status_code=status)


@router.post("/categories/{code}")
async def category_save(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Save a category's department, anonymity, activity and time limits."""
    form = await request.form()
    limits = {u: str(form.get(f"limit_{u}", ""))[:32] for u in ("normal", "urgent", "emergency")}
    edit = CategoryEdit(
        code=code,
        department=str(form.get("department", ""))[:32],
        anonymous_allowed=form.get("anonymous_allowed") is not None,
        active=form.get("active") is not None,
        time_limits=limits,
    )
    try:
        administration.update_category(
            uow=app.uow, actor=caller.actor, edit=edit, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        typed = {
            "department": edit.department,
            "anonymous_allowed": edit.anonymous_allowed,
            "active": edit.active,
            "time_limits": limits,
        }
        return _category_form(request, app, code, error=message, typed=typed, status=status)
    return redirect("/admin/categories", flash=N_("Saved."))
