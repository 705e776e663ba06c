"""Who may open a page: the same caller as the API, with sign-in redirects instead of 401 answers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends

from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import Caller, NotPermittedHere, check_csrf, get_caller

API_PREFIXES = ("/api/", "/open311/", "/static/", "/openapi.json", "/docs", "/healthz", "/readyz")


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

    async def dependency(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
        if not caller.signed_in:
            raise SignInRequired()
        if caller.actor.role not in allowed:
            raise NotPermittedHere()
        return caller

    return dependency


async def anyone(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    """Any visitor, signed in or not (CSRF is checked on forms that ride on a session)."""
    return caller


PageCaller = Annotated[Caller, Depends(anyone)]
AnyCaller = Annotated[Caller, Depends(get_caller)]

STAFF = (Role.GRID_WORKER, Role.HANDLER, Role.OPERATOR, Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
DESK = (Role.OPERATOR, Role.SUPERVISOR)
