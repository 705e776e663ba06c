"""Page rendering: one Jinja2 environment, the reader's language, and the context every page shares.

Templates translate with ``_("English text", name=value)``; Babel's Jinja extractor finds those calls
(tests/unit/test_i18n.py), and ``civicgrid.i18n.translate`` fills them in the page's language.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from civicgrid import __version__
from civicgrid.bootstrap import App
from civicgrid.domain.escalation import ESCALATION_REASON
from civicgrid.entrypoints.api.errors import FIELD_LABELS, request_locale
from civicgrid.entrypoints.web.audit_labels import audit_action
from civicgrid.entrypoints.web.navigation import menu_for
from civicgrid.i18n import N_, translate

FLASH_COOKIE = "cg_flash"
# Notes the system writes on case events itself (in English, marked for translation where they are made).
SYSTEM_NOTES = frozenset({ESCALATION_REASON})


@cache
def environment() -> Environment:
    """The template environment (built once per process; templates are cached by Jinja)."""
    folder = resources.files("civicgrid.entrypoints.web") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["urlquote"] = lambda v: quote(str(v), safe="")
    env.filters["readable"] = readable
    return env


# The keys of audit details, named for people: a logged action's parameters are named as its form's fields
# are (FIELD_LABELS), the rest here; values of the CODED keys are codes with labels.
DETAIL_KEYS = {
    **FIELD_LABELS,
    "district": N_("District"),
    "street": N_("Street"),
    "community": N_("Community"),
    "grid": N_("Grid"),
    "microgrid": N_("Micro-grid"),
    "worker_code": N_("Worker code"),
    "org": N_("Department"),
    "area_codes": N_("Areas"),
    "due": N_("Due"),
    "source": N_("Source"),
    "category": N_("Category"),
    "category_code": N_("Category code"),
    "assignee_code": N_("Assignee code"),
    "into": N_("Merged into"),
    "photos": N_("Photos"),
    "ok": N_("Verified"),
    "valid": N_("Valid callback"),
    "contacted": N_("Reached"),
    "resolved": N_("Resolved"),
    "satisfaction": N_("Satisfaction"),
    "new_due": N_("New due time"),
    "approve": N_("Approved"),
    "respond_by": N_("Respond by"),
    "summon": N_("Summoned"),
}
CODED = frozenset({"role", "satisfaction", "source"})


def readable(detail: Any, locale: str = "en") -> str:
    """An audit line's detail as people read it: ``备注: 同意延期 · 同意: 是`` (keys named, yes and no in
    words, lists joined, empty values left out; Chinese left as it is, not escaped to \\u codes)."""
    if not isinstance(detail, dict):
        return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
    colon = ": " if locale == "en" else "："
    parts = []
    for key, value in detail.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            shown = translate(N_("yes") if value else N_("no"), locale)
        elif isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            shown = ", ".join(str(v) for v in value)
        elif isinstance(value, str):
            shown = translate(value, locale) if key in CODED else value
        else:
            shown = json.dumps(value, ensure_ascii=False)
        parts.append(f"{translate(DETAIL_KEYS.get(key) or key, locale)}{colon}{shown}")
    return " · ".join(parts)


def _formatter(app: App, locale: str) -> Any:
    zone = ZoneInfo(app.settings.timezone)

    def local_time(value: datetime | None, style: str = "minute") -> str:
        """A moment in the district's time: '2026-12-01 08:30' (or the date only, style='date')."""
        if value is None:
            return "—"
        local = value.astimezone(zone)
        return local.strftime("%Y-%m-%d" if style == "date" else "%Y-%m-%d %H:%M")

    return local_time


def span_parts(span: timedelta) -> dict[str, int]:
    """Days, hours and minutes of a span, for '2 d 3 h' style labels (the ``span`` macro)."""
    minutes = max(0, int(span.total_seconds() // 60))
    return {"d": minutes // 1440, "h": minutes % 1440 // 60, "m": minutes % 60}


def page_context(request: Request, app: App) -> dict[str, Any]:
    """What every template may use: language, caller, CSRF token, menu, flash message, helpers."""
    from civicgrid.entrypoints.api.deps import Caller

    locale = getattr(request.state, "locale", None) or request_locale(request)
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        caller = _session_caller(request, app)

    def _(message: str, **params: Any) -> str:
        return translate(message, locale, **params)

    def note(text: str | None) -> str:
        """A case event's note: the system's own notes in the reader's language, people's as written."""
        return _(text) if text in SYSTEM_NOTES else (text or "")

    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))
    return {
        "request": request,
        "_": _,
        "note": note,
        "audit_action": lambda code: audit_action(code, locale),
        "locale": locale,
        "html_lang": "en" if locale == "en" else "zh-CN",
        "other_locale": "zh_CN" if locale == "en" else "en",
        "caller": caller,
        "role": caller.actor.role.value if caller.signed_in else "anonymous",
        "csrf_token": caller.csrf_token or "",
        "menu": menu_for(caller, request.url.path),
        "flash": _(flash) if flash and _known_message(flash) else None,
        "local_time": _formatter(app, locale),
        "span_parts": span_parts,
        "now": app.clock(),
        "version": __version__,
        "tiles_url": app.settings.map_tiles_url,
        "tiles_attribution": app.settings.map_tiles_attribution,
        "current_path": request.url.path + (("?" + request.url.query) if request.url.query else ""),
    }


def _session_caller(request: Request, app: App) -> Any:
    """The caller of a page no route resolved (an error page): its session, if any, else anonymous."""
    from civicgrid.domain.roles import Actor, Role
    from civicgrid.entrypoints.api.deps import SESSION_COOKIE, Caller
    from civicgrid.services.sign_in import resolve_session

    secret = request.cookies.get(SESSION_COOKIE)
    found = resolve_session(uow=app.uow, secret=secret, now=app.clock()) if secret else None
    if found is None:
        return Caller(actor=Actor(role=Role.RESIDENT, name=""), via="anonymous")
    user, csrf = found
    return Caller(actor=user.actor(), via="session", csrf_token=csrf)


def _known_message(message: str) -> bool:
    # A flash message is a message id the code set; anything else in the cookie is ignored.
    return translate(message, "zh_CN") != message or translate(message, "en") != message


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the shared context; a flash message shown here is cleared."""
    app: App = request.app.state.civic
    values = page_context(request, app)
    values.update(context or {})
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    response.headers["cache-control"] = "no-store"
    return response


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    """303 See Other to a local page (after a form), optionally with a message for the next page."""
    response = RedirectResponse(safe_local_path(url), status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash, safe=""), httponly=True, samesite="lax", path="/")
    return response


def safe_local_path(url: str | None, default: str = "/") -> str:
    """Only same-site paths: '/x?y' is kept, 'https://evil', '//evil' and '/\\evil' become ``default``."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")) or any(c in url for c in "\r\n"):
        return default
    return url


def csrf_input(token: str) -> Markup:
    """The hidden form field that carries the session's CSRF token."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


def refusal(request: Request, exc: Exception) -> tuple[str, dict[str, str], int]:
    """A refused form in the reader's language: the message, the message per field, and the status.

    For page handlers that catch a ``DomainError`` to show the form again with what was typed.
    """
    from civicgrid.domain.errors import DomainError
    from civicgrid.entrypoints.api.errors import FIELDS_BY_CODE, status_of

    if not isinstance(exc, DomainError):
        raise exc
    locale = getattr(request.state, "locale", None) or request_locale(request)
    message = translate(exc.message, locale, **exc.params)
    return message, {f: message for f in FIELDS_BY_CODE.get(exc.code, ())}, status_of(exc)
