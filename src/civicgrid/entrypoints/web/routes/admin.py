"""The administrator's pages: grid map, organisations, workers, categories, accounts, API keys, audit log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from civicgrid.analytics.admin_queries import (
    AuditFilters,
    WorkerFilters,
    audit_actions,
    audit_page,
    worker_page,
)
from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.administration import CategoryEdit, OrganisationEdit, WorkerEdit
from civicgrid.domain.case_types import mask_phone
from civicgrid.domain.errors import DomainError
from civicgrid.domain.geography import Level, MapRejected
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.moments import typed_moment
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.i18n import N_, translate
from civicgrid.services import accounts, administration, api_keys, grids, reference
from civicgrid.services.grids import check_map_data

router = APIRouter(prefix="/admin", include_in_schema=False)
AdminCaller = Annotated[Caller, Depends(require(Role.ADMIN))]
ROLES = [r.value for r in Role if r is not Role.SYSTEM]
PAGE_SIZE = 50


def _pages(total: int) -> int:
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)


@router.get("")
def overview(request: Request, app: AppDep, caller: AdminCaller) -> Response:
    """What the district holds, and the latest entries of the audit log."""
    with app.reader() as u:
        counts = u.areas.counts()
    with app.engine.connect() as conn:
        recent = audit_page(conn, AuditFilters(), page=1, page_size=10)
    context = {
        "area_counts": counts,
        "organisations": len(reference.organisations(uow=app.reader)),
        "workers": worker_page_total(app),
        "categories": len(reference.categories(uow=app.reader)),
        "users": len(accounts.list_users(uow=app.reader)),
        "keys": sum(1 for k in api_keys.list_api_keys(uow=app.reader) if k.active),
        "recent": recent.rows,
    }
    return render(request, "admin/overview.html", context)


def worker_page_total(app: AppDep) -> int:
    with app.engine.connect() as conn:
        return worker_page(conn, WorkerFilters(), page=1, page_size=1).total


# ---------------------------------------------------------------------------------------------- map
@router.get("/map")
def map_page(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """Import a new grid map (checked whole first) or export the current one."""
    with app.reader() as u:
        counts = u.areas.counts()
    return render(request, "admin/map.html", {"counts": counts, "report": None, "levels": _levels()})


@router.post("/map")
async def map_upload(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form()] = "check",
) -> Response:
    """Check a GeoJSON map, and import it when asked and it passes every rule."""
    locale = getattr(request.state, "locale", "zh_CN")
    with app.reader() as u:
        counts = u.areas.counts()
    report: dict[str, Any] = {"file": file.filename or "", "problems": [], "imported": None, "checked": None}
    status = 200
    raw = await file.read(app.settings.max_map_bytes + 1)
    if len(raw) > app.settings.max_map_bytes:
        report["problems"] = [
            {
                "kind": "too_large",
                "codes": [],
                "message": translate(N_("The file is larger than a grid map may be."), locale),
            }
        ]
        return render(request, "admin/map.html", _map_context(counts, report), status_code=413)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        report["problems"] = [
            {
                "kind": "not_json",
                "codes": [],
                "message": translate(N_("The file is not GeoJSON (JSON)."), locale),
            }
        ]
        return render(request, "admin/map.html", _map_context(counts, report), status_code=422)
    # Checking and storing thousands of polygons is CPU work: off the event loop.
    areas, problems = await run_in_threadpool(check_map_data, data)
    if problems:
        report["problems"] = _problems(problems, locale)
        status = 422
    elif mode == "import":
        try:
            report["imported"] = await run_in_threadpool(
                grids.import_areas, uow=app.uow, areas=areas, actor=caller.actor, now=app.clock()
            )
        except MapRejected as exc:
            report["problems"] = _problems(exc.problems, locale)
            status = 422
        with app.reader() as u:
            counts = u.areas.counts()
    else:
        report["checked"] = {level: sum(1 for a in areas if a.level.value == level) for level in _levels()}
    return render(request, "admin/map.html", _map_context(counts, report), status_code=status)


def _map_context(counts: dict[str, int], report: dict[str, Any]) -> dict[str, Any]:
    return {"counts": counts, "report": report, "levels": _levels()}


def _levels() -> list[str]:
    return [level.value for level in Level]


def _problems(problems: Any, locale: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": p.kind,
            "codes": list(p.codes),
            "message": translate(p.template, locale, **dict(p.params)) if p.template else p.detail,
        }
        for p in problems
    ]


@router.get("/map/export")
def map_export(caller: AdminCaller, app: AppDep, level: Level | None = None) -> Response:
    """The stored map, or one level, as a GeoJSON file."""
    data = grids.export_map(uow=app.reader, level=level)
    name = f"grid-map-{level.value if level else 'all'}.geojson"
    return JSONResponse(
        data,
        media_type="application/geo+json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------------------------ organisations
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
        from civicgrid.domain.errors import NotFound

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


# ------------------------------------------------------------------------------------------ workers
@router.get("/workers")
def workers_page(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    org: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    inactive: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """The grid workers, searchable by code or name, organisation, kind and grid."""
    filters = WorkerFilters(
        text=q or None,
        org_code=org or None,
        kind=kind or None,
        grid_code=grid or None,
        include_inactive=inactive,
    )
    with app.engine.connect() as conn:
        found = worker_page(conn, filters, page=page, page_size=PAGE_SIZE)
    for row in found.rows:  # the roster is not a phone book: the full number is on the edit form only
        row["phone"] = mask_phone(row["phone"])
    context = {
        "found": found,
        "pages": _pages(found.total),
        "filters": {
            "q": q or "",
            "org": org or "",
            "kind": kind or "",
            "grid": grid or "",
            "inactive": inactive,
        },
        "organisations": reference.organisations(uow=app.reader),
        "query": str(request.url.query),
    }
    return render(request, "admin/workers.html", context)


@router.get("/workers/new")
def worker_new(request: Request, caller: AdminCaller, app: AppDep) -> Response:
    """The form for a new grid worker."""
    blank = {
        "code": "",
        "name": "",
        "phone": "",
        "kind": "fulltime",
        "org_code": "",
        "grid_codes": [],
        "active": True,
    }
    return _worker_form(request, app, blank, is_new=True)


@router.get("/workers/{code}")
def worker_edit(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Edit one grid worker."""
    with app.reader() as u:
        row = u.reference.worker_row(code)
    if row is None:
        from civicgrid.domain.errors import NotFound

        raise NotFound(what=code)
    return _worker_form(request, app, row, is_new=False)


def _worker_form(
    request: Request,
    app: AppDep,
    row: dict[str, Any],
    *,
    is_new: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "row": row,
        "is_new": is_new,
        "error": error,
        "organisations": reference.organisations(uow=app.reader),
    }
    return render(request, "admin/worker_form.html", context, status_code=status)


@router.post("/workers")
def worker_save(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    code: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    kind: Annotated[str, Form(max_length=16)] = "fulltime",
    org_code: Annotated[str, Form(max_length=32)] = "",
    grid_codes: Annotated[str, Form(max_length=4000)] = "",
    active: Annotated[bool, Form()] = False,
    is_new: Annotated[bool, Form()] = False,
) -> Response:
    """Add or change a grid worker; grids are codes separated by spaces or commas."""
    grids_given = tuple(g for g in grid_codes.replace(",", " ").replace("，", " ").split() if g)
    edit = WorkerEdit(code, name, phone, kind, org_code or None, grids_given, active)
    try:
        administration.save_worker(
            uow=app.uow, actor=caller.actor, edit=edit, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        row = {**edit.__dict__, "grid_codes": list(grids_given), "org_code": org_code}
        return _worker_form(request, app, row, is_new=is_new, error=message, status=status)
    return redirect(f"/admin/workers?q={code.strip()}", flash=N_("Saved."))


# --------------------------------------------------------------------------------------- categories
@router.get("/categories")
def categories_page(
    request: Request, caller: AdminCaller, app: AppDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    """The catalogue: each category's department, urgency, anonymity and time limits."""
    rows = reference.categories(uow=app.reader, search=q)
    names = {o["code"]: o for o in reference.organisations(uow=app.reader)}
    return render(request, "admin/categories.html", {"rows": rows, "q": q or "", "orgs": names})


@router.get("/categories/{code}")
def category_form(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Edit one category and its time limits."""
    return _category_form(request, app, code)


def _category_form(
    request: Request,
    app: AppDep,
    code: str,
    *,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    found = [c for c in reference.categories(uow=app.reader) if c["code"] == code]
    with app.reader() as u:
        stored = u.reference.category_row(code)
    if not found and stored is None:
        from civicgrid.domain.errors import NotFound

        raise NotFound(what=code)
    row = found[0] if found else {**stored, "time_limits": {}}  # type: ignore[dict-item]
    if stored is not None:
        row["active"] = stored["active"]
    if typed:
        row = {**row, **typed}
    context = {"row": row, "error": error, "organisations": reference.organisations(uow=app.reader)}
    return render(request, "admin/category_form.html", context, status_code=status)


@router.post("/categories/{code}")
async def category_save(request: Request, code: str, caller: AdminCaller, app: AppDep) -> Response:
    """Save a category's department, anonymity, activity and time limits."""
    form = await request.form()
    limits = {u: str(form.get(f"limit_{u}", ""))[:32] for u in ("normal", "urgent", "emergency")}
    edit = CategoryEdit(
        code=code,
        department=str(form.get("department", ""))[:32],
        anonymous_allowed=form.get("anonymous_allowed") is not None,
        active=form.get("active") is not None,
        time_limits=limits,
    )
    try:
        administration.update_category(
            uow=app.uow, actor=caller.actor, edit=edit, now=app.clock(), client=caller.client
        )
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        typed = {
            "department": edit.department,
            "anonymous_allowed": edit.anonymous_allowed,
            "active": edit.active,
            "time_limits": limits,
        }
        return _category_form(request, app, code, error=message, typed=typed, status=status)
    return redirect("/admin/categories", flash=N_("Saved."))


# -------------------------------------------------------------------------------------------- users
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
        "organisations": reference.organisations(uow=app.reader),
    }
    return render(request, "admin/users.html", context, status_code=status)


@router.post("/users")
def user_create(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
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
            from civicgrid.domain.errors import InvalidInput

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


# ----------------------------------------------------------------------------------------- API keys
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


# ---------------------------------------------------------------------------------------- audit log
@router.get("/audit")
def audit_page_view(
    request: Request,
    caller: AdminCaller,
    app: AppDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since_text: Annotated[str, Query(alias="from", max_length=40)] = "",
    until_text: Annotated[str, Query(alias="to", max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """Every sign-in and every write, newest first, filtered by who, what and when."""
    # An empty date field of the form means no bound (a browser sends from=&to=).
    zone = app.settings.timezone
    since = typed_moment(since_text, zone, field=N_("From"))
    until = typed_moment(until_text, zone, field=N_("To"))
    filters = AuditFilters(
        actor=actor or None, action=action or None, since=local_time(app, since), until=local_time(app, until)
    )
    with app.engine.connect() as conn:
        found = audit_page(conn, filters, page=page, page_size=PAGE_SIZE)
        actions = audit_actions(conn)
    context = {
        "found": found,
        "pages": _pages(found.total),
        "actions": actions,
        "filters": {
            "actor": actor or "",
            "action": action or "",
            "from": since.strftime("%Y-%m-%dT%H:%M") if since else "",
            "to": until.strftime("%Y-%m-%dT%H:%M") if until else "",
        },
        "query": str(request.url.query),
    }
    return render(request, "admin/audit.html", context)


# Codes the admin pages show by label (levels, kinds, utilities): marked here so Babel extracts them.
CODE_LABELS = (
    N_("microgrid"),
    N_("fulltime"),
    N_("professional"),
    N_("department"),
    N_("utility"),
    N_("water"),
    N_("power"),
    N_("gas"),
    N_("heating"),
    N_("telecom"),
)
