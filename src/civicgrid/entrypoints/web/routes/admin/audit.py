"""The audit log: every sign-in and every write, filtered by who, what and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import (
    AuditFilters,
    audit_actions,
    audit_page,
)
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.moments import typed_moment
from civicgrid.entrypoints.web.queue_views import pages_of
from civicgrid.entrypoints.web.rendering import render
from civicgrid.entrypoints.web.routes.admin.common import PAGE_SIZE, AdminCaller
from civicgrid.i18n import N_

router = APIRouter(prefix="/admin", include_in_schema=False)


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
        "pages": pages_of(found.total, PAGE_SIZE),
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
