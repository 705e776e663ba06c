"""Open311 API keys: create one (shown once) and revoke it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from civicgrid.domain.errors import DomainError
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import api_keys

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/apikeys")
def apikeys_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """Open311 API keys: create (shown once) and revoke."""
    return _keys(request, app)


def _keys(
    request: Request, app: AppDep, *, new_key: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    context = {"keys": api_keys.list_api_keys(uow=app.reader), "new_key": new_key, "error": error}
    return render(request, "admin/apikeys.html", context, status_code=status)


@router.post("/apikeys")
def apikey_create(
    request: Request, caller: AdminCaller, app: AppDep, name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Create a key; the page shows it this once (it is stored only as a hash)."""
    try:
        key = api_keys.create_api_key(
            uow=app.uow, actor=caller.actor, name=name, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _keys(request, app, error=message, status=status)
    return _keys(request, app, new_key=key, status=201)


@router.post("/apikeys/{prefix}/revoke")
def apikey_revoke(request: Request, prefix: str, caller: AdminCaller, app: AppDep) -> Response:
    """Revoke a key by its prefix."""
    try:
        api_keys.revoke_api_key(
            uow=app.uow, actor=caller.actor, key_or_prefix=prefix, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _keys(request, app, error=message, status=status)
    return redirect("/admin/apikeys", flash=N_("Key revoked."))
