"""Who may open a page: the same caller as the API, with sign-in redirects instead of 401 answers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from civicgrid.domain.errors import N_, DomainError, InvalidInput
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import SAFE_METHODS, Caller, NotPermittedHere, check_csrf, get_caller

API_PREFIXES = ("/api/", "/open311/", "/static/", "/openapi.json", "/docs", "/healthz", "/readyz")


class NulInForm(InvalidInput):
    code = "nul_in_text"
    message = N_("The text contains a NUL character.")


async def refuse_nul_in_form(request: Request) -> None:
    """No page form has a use for a NUL character, and PostgreSQL can neither store nor compare one."""
    if request.method in SAFE_METHODS or not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return
    form = await request.form()  # Starlette keeps the parsed form: the handler reads the same one
    if any(isinstance(v, str) and "\x00" in v for _k, v in form.multi_items()):
        raise NulInForm()


class SignInRequired(DomainError):
    """A page for staff opened without a session: the error handler sends the browser to /login."""

    code = "sign_in_required"
    message = N_("Please sign in.")


def is_page(path: str) -> bool:
    """Pages are every path that is not the API, Open311, static files, docs or health."""
    return not path.startswith(API_PREFIXES)


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A dependency: the caller must be signed in with one of ``roles`` (CSRF is checked on forms)."""
    allowed = frozenset(roles)

    async def dependency(request: Request, caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
        await refuse_nul_in_form(request)
        if not caller.signed_in:
            raise SignInRequired()
        if caller.actor.role not in allowed:
            raise NotPermittedHere()
        return caller

    return dependency


async def anyone(request: Request, caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    """Any visitor, signed in or not (CSRF is checked on forms that ride on a session)."""
    await refuse_nul_in_form(request)
    return caller


PageCaller = Annotated[Caller, Depends(anyone)]
AnyCaller = Annotated[Caller, Depends(get_caller)]
