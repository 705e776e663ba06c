"""The administration start page: what the district holds and the latest audit entries."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicgrid.analytics.admin_queries import (
    AuditFilters,
    WorkerFilters,
    audit_page,
    worker_page,
)
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.rendering import render
from civicgrid.entrypoints.web.routes.admin.common import AdminCaller
from civicgrid.services import accounts, api_keys, reference

router = APIRouter(prefix="/admin", include_in_schema=False)


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
        "workers": _worker_count(app),
        "categories": len(reference.categories(uow=app.reader)),
        "users": len(accounts.list_users(uow=app.reader)),
        "keys": sum(1 for k in api_keys.list_api_keys(uow=app.reader) if k.active),
        "recent": recent.rows,
    }
    return render(request, "admin/overview.html", context)


def _worker_count(app: AppDep) -> int:
    with app.engine.connect() as conn:
        return worker_page(conn, WorkerFilters(), page=1, page_size=1).total
