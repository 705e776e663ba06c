"""The departments and utility units: their names and whether they take cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from civicgrid.domain.administration import OrganisationEdit
from civicgrid.domain.errors import DomainError, NotFound
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import administration

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/organisations")
def organisations_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """The 16 departments and the utility units."""
    with app.reader() as u:
        rows = u.reference.organisation_rows()
    return render(request, "admin/organisations.html", {"rows": rows})


@router.get("/organisations/{code}")
def organisation_form(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Edit one organisation."""
    with app.reader() as u:
        row = u.reference.organisation_row(code)
    if row is None:
        raise NotFound(what=code)
    return render(request, "admin/organisation_form.html", {"row": row, "error": None})


@router.post("/organisations/{code}")
def organisation_save(
    request: Request,
    code: str,
    caller: AdminCaller,
    app: AppDep,
    name_zh: Annotated[str, Form(max_length=200)] = "",
    short_name_zh: Annotated[str, Form(max_length=100)] = "",
    name_en: Annotated[str, Form(max_length=200)] = "",
    short_name_en: Annotated[str, Form(max_length=100)] = "",
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Save the names and activity of an organisation."""
    edit = OrganisationEdit(code, name_zh, short_name_zh, name_en, short_name_en, active)
    try:
        administration.update_organisation(
            uow=app.uow, actor=caller.actor, edit=edit, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        row = {"code": code, "kind": "", "utility": None, **edit.__dict__}
        return render(
            request, "admin/organisation_form.html", {"row": row, "error": message}, status_code=status
        )
    return redirect("/admin/organisations", flash=N_("Saved."))
