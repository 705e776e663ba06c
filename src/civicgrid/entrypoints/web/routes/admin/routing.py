"""Routing rules (派遣规则): in an area, a category goes to a chosen department or utility, not its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import area_choices
from civicgrid.analytics.case_labels import choices as case_choices
from civicgrid.analytics.case_labels import labels_for
from civicgrid.domain.errors import DomainError
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.quick import locale_of
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import dispatch

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/routing")
def routing_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """Every routing rule by name, with a form to add one and a button to remove each."""
    return _rules(request, app)


def _rules(
    request: Request,
    app: AppDep,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    locale = locale_of(request)
    rules = dispatch.list_rules(uow=app.reader)
    with app.engine.connect() as conn:
        names = labels_for(
            conn,
            locale=locale,
            category_codes=[r.category_code for r in rules],
            org_codes=[r.org_code for r in rules],
            area_codes=[r.area_code for r in rules],
            short_organisations=True,
        )
        choices = area_choices(conn)
        # What a rule may name: active categories and organisations (the service refuses the others).
        offered = case_choices(conn, locale=locale)
    context: dict[str, Any] = {
        "rules": sorted(rules, key=lambda r: (r.category_code, r.area_code)),
        "names": names,
        "categories": sorted((c["code"], c["name"]) for c in offered["categories"]),
        "organisations": [(o["code"], o["name"]) for o in offered["organisations"]],
        "areas": choices,
        "error": error,
        "typed": typed or {"category_code": "", "area_code": "", "org_code": ""},
    }
    return render(request, "admin/routing.html", context, status_code=status)


@router.post("/routing")
def rule_add(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    category_code: Annotated[str, Form(max_length=200)] = "",
    area_code: Annotated[str, Form(max_length=200)] = "",
    org_code: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a rule; a category already ruled in that area is refused (remove the old rule first)."""
    typed = {"category_code": category_code, "area_code": area_code, "org_code": org_code}
    try:
        dispatch.add_rule(
            uow=app.uow,
            actor=caller.actor,
            category_code=category_code.strip(),
            area_code=area_code.strip(),
            org_code=org_code.strip(),
            now=app.clock(),
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _rules(request, app, error=message, typed=typed, status=status)
    return redirect("/admin/routing", flash=N_("Routing rule added."))


@router.post("/routing/{rule_id}/remove")
def rule_remove(request: Request, rule_id: int, caller: AdminCaller, app: AppDep) -> Response:
    """Remove a rule: that category in that area goes to its own department again."""
    try:
        dispatch.remove_rule(uow=app.uow, actor=caller.actor, rule_id=rule_id, now=app.clock())
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _rules(request, app, error=message, status=status)
    return redirect("/admin/routing", flash=N_("Routing rule removed."))
