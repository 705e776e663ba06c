"""The audit log: every sign-in and every write, filtered by who, what and when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import (
    AuditFilters,
    audit_actions,
    audit_page,
)
from civicgrid.domain.errors import DomainError
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.moments import typed_moment
from civicgrid.entrypoints.web.queue_views import pages_of
from civicgrid.entrypoints.web.rendering import refusal, render
from civicgrid.entrypoints.web.routes.admin.common import PAGE_SIZE, AdminCaller
from civicgrid.i18n import N_

router = APIRouter(prefix="/admin", include_in_schema=False)


def audit_filters(
    app: AppDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since_text: Annotated[str, Query(alias="from", max_length=40)] = "",
    until_text: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> AuditFilters:
    """The audit log's filters as its form sends them (for the page and its export); empty means no bound."""
    zone = app.settings.timezone
    since = typed_moment(since_text, zone, field=N_("From"))
    until = typed_moment(until_text, zone, field=N_("To"))
    return AuditFilters(
        actor=actor or None, action=action or None, since=local_time(app, since), until=local_time(app, until)
    )


AuditFiltersDep = Annotated[AuditFilters, Depends(audit_filters)]


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
    error, status = None, 200
    try:
        filters = audit_filters(app, actor, action, since_text, until_text)
    except DomainError as exc:
        # Said above the log, unfiltered by time meanwhile; the boxes keep what was typed.
        error, _fields, status = refusal(request, exc)
        filters = audit_filters(app, actor, action, "", "")
    with app.engine.connect() as conn:
        found = audit_page(conn, filters, page=page, page_size=PAGE_SIZE)
        actions = audit_actions(conn)
    zone = ZoneInfo(app.settings.timezone)
    context = {
        "found": found,
        "pages": pages_of(found.total, PAGE_SIZE),
        "actions": actions,
        "filters": {
            "actor": filters.actor or "",
            "action": filters.action or "",
            "from": _field_value(filters.since, zone) if not error else since_text,
            "to": _field_value(filters.until, zone) if not error else until_text,
        },
        "query": str(request.url.query),
        "error": error,
    }
    return render(request, "admin/audit.html", context, status_code=status)


def _field_value(moment: datetime | None, zone: ZoneInfo) -> str:
    # What a datetime-local field shows: the district's clock, to the minute.
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""
