"""The administration start page: what the district holds and the latest audit entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import AuditFilters, audit_page, desk_counts
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.rendering import render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
def overview(request: Request, app: AppDep, caller: AdminCaller) -> Response:
    """What the district holds, and the latest entries of the audit log."""
    with app.reader() as u:
        counts = u.areas.counts()
    with app.engine.connect() as conn:
        held = desk_counts(conn)
        recent = audit_page(conn, AuditFilters(), page=1, page_size=10)
    context = {
        "area_counts": counts,
        "organisations": held.organisations,
        "workers": held.active_workers,
        "categories": held.categories,
        "users": held.accounts,
        "keys": held.active_api_keys,
        "recent": recent.rows,
    }
    return render(request, "admin/overview.html", context)
