"""Sign in, sign out and the language switch: the pages every visitor passes through."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from civicgrid.domain.errors import DomainError
from civicgrid.entrypoints.api.deps import SESSION_COOKIE, AppDep, client_address, limit_public
from civicgrid.entrypoints.api.routes.auth import set_session_cookie
from civicgrid.entrypoints.web.access import PageCaller
from civicgrid.entrypoints.web.navigation import home_of
from civicgrid.entrypoints.web.rendering import redirect, render, safe_local_path
from civicgrid.i18n import N_, normalise_locale, translate
from civicgrid.services.sign_in import authenticate, end_session, start_session

router = APIRouter(include_in_schema=False)


@router.get("/")
def front_door(caller: PageCaller) -> Response:
    """Residents land on the report page, staff on the first page of their day."""
    return redirect(home_of(caller.actor.role) if caller.signed_in else "/report")


@router.get("/login")
def login_page(request: Request, caller: PageCaller, next: str = "") -> Response:
    """The sign-in form (a signed-in visitor goes straight on)."""
    if caller.signed_in:
        return redirect(safe_local_path(next, home_of(caller.actor.role)))
    return render(request, "login.html", {"next": safe_local_path(next, ""), "username": "", "error": None})


@router.post("/login")
def login(
    request: Request,
    app: AppDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password, start a page session and go on to the page asked for (or the role's home)."""
    try:
        limit_public(app, "sign_in", request)
        now = app.clock()
        user = authenticate(
            uow=app.uow, username=username, password=password, client=client_address(request), now=now
        )
        secret, _csrf = start_session(
            uow=app.uow, user=user, now=now, ttl=timedelta(hours=app.settings.session_hours)
        )
    except DomainError as exc:
        locale = getattr(request.state, "locale", None)
        from civicgrid.entrypoints.api.errors import request_locale, status_of

        message = translate(exc.message, locale or request_locale(request), **exc.params)
        context = {"next": safe_local_path(next, ""), "username": username, "error": message}
        return render(request, "login.html", context, status_code=status_of(exc))
    response = redirect(safe_local_path(next, home_of(user.role)))
    set_session_cookie(response, secret, secure=app.settings.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, app: AppDep, caller: PageCaller) -> Response:
    """End the session (the form carries the CSRF token) and return to the sign-in page."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and caller.via == "session":
        end_session(uow=app.uow, secret=secret, now=app.clock(), client=caller.client)
    response = redirect("/login", flash=N_("You have signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang")
def switch_language(app: AppDep, to: str = "zh_CN", next: str = "/") -> Response:
    """Remember the reader's language in a cookie and go back to the page they were on."""
    response = redirect(safe_local_path(next))
    response.set_cookie(
        "lang",
        normalise_locale(to),
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=app.settings.secure_cookies,
        path="/",
    )
    return response
