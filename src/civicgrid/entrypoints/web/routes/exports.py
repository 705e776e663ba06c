"""/exports/<list>.csv and .xlsx: every list and figures table as a file, with the list's own filters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.engine import Connection

from civicgrid.analytics import export_tables as tables
from civicgrid.analytics.exports import Table, to_csv, to_xlsx
from civicgrid.analytics.figures import figures as compute_figures
from civicgrid.bootstrap import App
from civicgrid.domain.access import scope_of
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.case_filters import CaseFiltersDep, local_time
from civicgrid.entrypoints.api.deps import AppDep, Caller, StaffDep
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.entrypoints.api.routes.figures import Group
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.audit_labels import audit_action
from civicgrid.entrypoints.web.rendering import readable
from civicgrid.entrypoints.web.routes.admin.audit import AuditFiltersDep
from civicgrid.entrypoints.web.routes.admin.workers import WorkerFiltersDep
from civicgrid.i18n import translate
from civicgrid.services import accounts, api_keys, reference

# Downloads from the pages (refusals are pages too), so not part of the JSON API's OpenAPI document.
router = APIRouter(prefix="/exports", include_in_schema=False)
Format = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# Exports of accounts, keys and the audit log are for administrators (the pages' own role check).
AdminDep = Annotated[Caller, Depends(require(Role.ADMIN))]


def _send(request: Request, app: App, table: Table, fmt: str, conn: Connection | None = None) -> Response:
    locale = request_locale(request)
    zone = ZoneInfo(app.settings.timezone)

    def label(message: str) -> str:
        return translate(message, locale)

    stamp = app.clock().astimezone(zone).strftime("%Y%m%d-%H%M")
    headers = {"content-disposition": f'attachment; filename="{table.name}-{stamp}.{fmt}"'}
    if fmt == "xlsx":
        try:
            data = to_xlsx(table, label, zone, title=label(table.name))
        finally:
            if conn is not None:
                conn.close()
        return Response(data, media_type=MEDIA["xlsx"], headers=headers)

    def chunks() -> Iterator[bytes]:
        try:
            yield from to_csv(table, label, zone)
        finally:
            if conn is not None:
                conn.close()

    return StreamingResponse(chunks(), media_type=MEDIA["csv"], headers=headers)


def _with_connection(app: App, build: Callable[[Connection], Table]) -> tuple[Table, Connection]:
    # The rows stream from an open connection; it closes when the file has been sent (or on a refusal).
    conn = app.engine.connect()
    try:
        return build(conn), conn
    except BaseException:
        conn.close()
        raise


@router.get("/cases.{fmt}")
def export_cases(
    fmt: Format, request: Request, app: AppDep, caller: StaffDep, filters: CaseFiltersDep
) -> Response:
    """The cases of a list (the filters of GET /api/v1/cases), masked as the list masks them."""
    now = app.clock()
    table, conn = _with_connection(
        app,
        lambda c: tables.cases_table(
            c,
            scope=scope_of(caller.actor),
            filters=filters,
            actor=caller.actor,
            now=now,
            locale=request_locale(request),
        ),
    )
    return _send(request, app, table, fmt, conn)


@router.get("/figures.{fmt}")
def export_figures(
    fmt: Format,
    request: Request,
    app: AppDep,
    caller: StaffDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    group_by: Group | None = None,
) -> Response:
    """The figures table of GET /api/v1/figures (same parameters and scope)."""
    now = app.clock()
    stop = local_time(app, end) or now
    begin = local_time(app, start) or stop - timedelta(days=30)
    with app.engine.connect() as conn:
        groups = compute_figures(
            conn, start=begin, end=stop, group=group_by, now=now, scope=scope_of(caller.actor)
        )
    return _send(request, app, tables.figures_table(groups), fmt)


@router.get("/audit.{fmt}")
def export_audit(
    fmt: Format, request: Request, app: AppDep, caller: AdminDep, filters: AuditFiltersDep
) -> Response:
    """The audit log lines that match (administrators), with the audit page's own filters."""
    locale = request_locale(request)
    table, conn = _with_connection(
        app,
        lambda c: tables.audit_table(
            c,
            filters,
            name_action=lambda code: audit_action(code, locale),
            say_detail=lambda detail: readable(detail, locale),
        ),
    )
    return _send(request, app, table, fmt, conn)


@router.get("/workers.{fmt}")
def export_workers(
    fmt: Format, request: Request, app: AppDep, caller: StaffDep, filters: WorkerFiltersDep
) -> Response:
    """The grid worker roster (phones masked), with the roster page's own filters ("" means any)."""
    with app.engine.connect() as conn:
        table = tables.workers_table(conn, filters)
    return _send(request, app, table, fmt)


@router.get("/organisations.{fmt}")
def export_organisations(fmt: Format, request: Request, app: AppDep, caller: StaffDep) -> Response:
    """Departments and utility units."""
    return _send(request, app, tables.organisations_table(reference.organisations(uow=app.reader)), fmt)


@router.get("/categories.{fmt}")
def export_categories(fmt: Format, request: Request, app: AppDep, caller: StaffDep) -> Response:
    """The category catalogue with the time limit of each urgency."""
    return _send(request, app, tables.categories_table(reference.categories(uow=app.reader)), fmt)


@router.get("/users.{fmt}")
def export_users(fmt: Format, request: Request, app: AppDep, caller: AdminDep) -> Response:
    """Accounts and roles (administrators)."""
    return _send(request, app, tables.users_table(accounts.list_users(uow=app.reader)), fmt)


@router.get("/apikeys.{fmt}")
def export_apikeys(fmt: Format, request: Request, app: AppDep, caller: AdminDep) -> Response:
    """API keys by name and prefix, never the secret (administrators)."""
    return _send(request, app, tables.apikeys_table(api_keys.list_api_keys(uow=app.reader)), fmt)
