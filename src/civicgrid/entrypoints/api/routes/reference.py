"""/api/v1/organisations, /workers, /categories: who handles what, and the time limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from civicgrid.entrypoints.api.deps import AppDep, StaffDep
from civicgrid.services import reference

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/organisations")
def organisations(app: AppDep) -> list[dict[str, Any]]:
    """The 16 departments and 5 utility units (and any added since)."""
    return reference.organisations(uow=app.reader)


@router.get("/categories")
def categories(
    app: AppDep,
    q: Annotated[str | None, Query(max_length=50, description="Search names and keywords.")] = None,
) -> list[dict[str, Any]]:
    """The category catalogue (大类/小类) with default department, urgency and time limits per urgency."""
    return reference.categories(uow=app.reader, search=q)


@router.get("/workers")
def workers(
    app: AppDep,
    caller: StaffDep,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    org: Annotated[str | None, Query(max_length=32)] = None,
) -> list[dict[str, Any]]:
    """Grid workers (staff only; phones masked), by grid or organisation."""
    return reference.workers(uow=app.reader, grid_code=grid, org_code=org)
