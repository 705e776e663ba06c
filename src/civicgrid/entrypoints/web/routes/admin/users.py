"""Accounts: their roles and scopes, a new account, a new password, deactivation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.errors import DomainError, InvalidInput
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.quick import locale_of
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.i18n import N_
from civicgrid.services import accounts, reference

router = APIRouter(prefix="/admin", include_in_schema=False)

ROLES = [r.value for r in Role if r is not Role.SYSTEM]


@router.get("/users")
def users_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """Accounts with their roles and scopes; create one."""
    return _users(request, app)


def _users(
    request: Request,
    app: AppDep,
    *,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    organisations = reference.organisations(uow=app.reader)
    short = "short_name_en" if locale_of(request) == "en" else "short_name_zh"
    context = {
        "users": accounts.list_users(uow=app.reader),
        "roles": ROLES,
        "error": error,
        "typed": typed
        or {
            "username": "",
            "display_name": "",
            "role": "operator",
            "worker_code": "",
            "org_code": "",
            "areas": "",
        },
        "organisations": organisations,
        "org_names": {o["code"]: o[short] for o in organisations},  # a handler's department in the list
    }
    return render(request, "admin/users.html", context, status_code=status)


@router.post("/users")
def user_create(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    # Generous limits: the account rules say what is wrong with a long name, on the form as typed.
    username: Annotated[str, Form(max_length=2000)] = "",
    display_name: Annotated[str, Form(max_length=2000)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    worker_code: Annotated[str, Form(max_length=32)] = "",
    org_code: Annotated[str, Form(max_length=32)] = "",
    areas: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create an account (the password must pass the policy)."""
    typed = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "worker_code": worker_code,
        "org_code": org_code,
        "areas": areas,
    }
    try:
        spec = UserSpec(
            username=username,
            role=Role(role) if role in ROLES else Role.RESIDENT,
            display_name=display_name,
            worker_code=worker_code or None,
            org_code=org_code or None,
            area_codes=frozenset(areas.replace(",", " ").split()),
        )
        if role not in ROLES:
            raise InvalidInput(detail="role")
        accounts.create_user(
            uow=app.uow,
            actor=caller.actor,
            spec=spec,
            password=password,
            now=app.clock(),
            client=caller.client,
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _users(request, app, error=message, typed=typed, status=status)
    return redirect("/admin/users", flash=N_("Account created."))


@router.post("/users/{username}/password")
def user_password(
    request: Request,
    username: str,
    caller: AdminCaller,
    app: AppDep,
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set a new password for an account; its sessions end."""
    try:
        accounts.set_password(
            uow=app.uow,
            actor=caller.actor,
            username=username,
            password=password,
            now=app.clock(),
            client=caller.client,
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _users(request, app, error=message, status=status)
    return redirect("/admin/users", flash=N_("Password changed; the account's sessions have ended."))


@router.post("/users/{username}/deactivate")
def user_deactivate(request: Request, username: str, caller: AdminCaller, app: AppDep) -> Response:
    """Stop an account from signing in."""
    try:
        accounts.deactivate(
            uow=app.uow, actor=caller.actor, username=username, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _users(request, app, error=message, status=status)
    return redirect("/admin/users", flash=N_("Account deactivated."))
