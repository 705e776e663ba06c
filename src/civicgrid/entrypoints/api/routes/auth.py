"""/api/v1/auth: access tokens for machines, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from civicgrid.entrypoints.api import schemas as s
from civicgrid.entrypoints.api.deps import (
    SESSION_COOKIE,
    AppDep,
    CallerDep,
    client_address,
    limit_public,
    signed_in,
)
from civicgrid.services.sign_in import authenticate, end_session, issue_token, start_session

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=s.TokenOut)
def token(body: s.TokenRequest, request: Request, app: AppDep) -> s.TokenOut:
    """Exchange a username and password for a bearer token (throttled; every attempt is audited)."""
    limit_public(app, "sign_in", request)
    now = app.clock()
    user = authenticate(
        uow=app.uow, username=body.username, password=body.password, client=client_address(request), now=now
    )
    ttl = timedelta(days=app.settings.token_days)
    secret = issue_token(uow=app.uow, user=user, name=body.name, now=now, ttl=ttl)
    return s.TokenOut(access_token=secret, expires_at=now + ttl)


@router.get("/me")
def me(caller: CallerDep) -> dict[str, Any]:
    """The signed-in account's role and scope."""
    signed_in(caller)
    a = caller.actor
    return {
        "id": a.id,
        "name": a.name,
        "role": a.role.value,
        "worker_code": a.worker_code,
        "org_code": a.org_code,
        "area_codes": sorted(a.area_codes),
        "via": caller.via,
    }


@router.post("/session")
def sign_in(body: s.SessionRequest, request: Request, response: Response, app: AppDep) -> dict[str, Any]:
    """Sign in for the pages: an HttpOnly, SameSite session cookie, and the CSRF token for forms."""
    limit_public(app, "sign_in", request)
    now = app.clock()
    user = authenticate(
        uow=app.uow, username=body.username, password=body.password, client=client_address(request), now=now
    )
    ttl = timedelta(hours=app.settings.session_hours)
    secret, csrf = start_session(uow=app.uow, user=user, now=now, ttl=ttl)
    set_session_cookie(response, secret, secure=app.settings.secure_cookies)
    return {"csrf_token": csrf, "username": user.username, "role": user.role.value}


@router.delete("/session", status_code=204)
def sign_out(request: Request, app: AppDep, caller: CallerDep) -> Response:
    """End the page session (the CSRF token must come with it)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and caller.via == "session":
        end_session(uow=app.uow, secret=secret, now=app.clock(), client=caller.client)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def set_session_cookie(response: Response, secret: str, *, secure: bool) -> None:
    """The session cookie: not readable by scripts, not sent on cross-site requests."""
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", secure=secure, path="/")
