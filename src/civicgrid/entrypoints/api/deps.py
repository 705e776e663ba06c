"""Request dependencies: the application, the caller (session cookie, bearer token or anonymous) and CSRF."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from civicgrid.bootstrap import App
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor, Role
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.services import sign_in as sign_in_services

SESSION_COOKIE = "cg_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    message = N_("Please sign in.")


class CsrfFailed(DomainError):
    code = "csrf_failed"
    message = N_("The form has expired or did not come from this site; reload the page and try again.")


class NotPermittedHere(DomainError):
    code = "forbidden"
    message = N_("Your role may not use this.")


class RateLimited(DomainError):
    code = "rate_limited"
    message = N_("Too many requests; try again in {retry_after} seconds.")


@dataclass(frozen=True)
class Caller:
    """Who is calling, how they proved it, and the CSRF token of their session (cookie sign-ins only)."""

    actor: Actor
    via: str  # "session" | "token" | "anonymous"
    csrf_token: str | None = None
    client: str = ""

    @property
    def signed_in(self) -> bool:
        return self.via != "anonymous"


async def get_app(request: Request) -> App:  # async: no trip through the thread pool for an attribute
    """The application built at start-up."""
    app: App = request.app.state.civic
    return app


def client_address(request: Request) -> str:
    """The client's address as seen by this server (behind a proxy, uvicorn's proxy_headers fills it)."""
    return request.client.host if request.client else "unknown"


async def get_caller(request: Request, app: Annotated[App, Depends(get_app)]) -> Caller:
    """Resolve the caller once per request: bearer token, then session cookie, else an anonymous resident.

    Async, with the database look-ups in the thread pool: an anonymous report pays no thread hop here.
    """
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    now = app.clock()
    client = client_address(request)
    caller = Caller(actor=Actor(role=Role.RESIDENT, name=""), via="anonymous", client=client)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = await run_in_threadpool(
            sign_in_services.resolve_token, uow=app.uow, token=auth[7:].strip(), now=now
        )
        if user is None:
            raise NotAuthenticated()
        caller = Caller(actor=user.actor(), via="token", client=client)
    elif SESSION_COOKIE in request.cookies:
        found = await run_in_threadpool(
            sign_in_services.resolve_session, uow=app.uow, secret=request.cookies[SESSION_COOKIE], now=now
        )
        if found is not None:
            user, csrf = found
            caller = Caller(actor=user.actor(), via="session", csrf_token=csrf, client=client)
    request.state.caller = caller
    request.state.locale = request_locale(request)
    return caller


async def check_csrf(request: Request, caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """Unsafe requests riding on a session cookie must echo the session's CSRF token (header or form)."""
    if caller.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
        if not sent or not caller.csrf_token or not hmac.compare_digest(sent, caller.csrf_token):
            raise CsrfFailed()
    return caller


def staff(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    """A signed-in member of staff (anyone but an anonymous or signed-in resident)."""
    if not caller.signed_in:
        raise NotAuthenticated()
    if caller.actor.role is Role.RESIDENT:
        raise NotPermittedHere()
    return caller


def signed_in(caller: Annotated[Caller, Depends(check_csrf)]) -> Caller:
    """Any signed-in account."""
    if not caller.signed_in:
        raise NotAuthenticated()
    return caller


def limit_public(app: App, bucket: str, request: Request) -> None:
    """Apply a per-client rate limit (public intake, photo upload, sign-in)."""
    limiter = app.limiters.get(bucket)
    if limiter is None:
        return
    wait = limiter.allow(client_address(request))
    if wait > 0:
        raise RateLimited(retry_after=max(1, int(wait + 0.999)))


CallerDep = Annotated[Caller, Depends(check_csrf)]
StaffDep = Annotated[Caller, Depends(staff)]
AppDep = Annotated[App, Depends(get_app)]
