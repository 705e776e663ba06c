"""/api/v1/dispatch: operator overrides of suggestions, how often suggestions are taken, category settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from civicgrid.domain.dispatch_control import AutoMode, CategorySettings
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep, StaffDep
from civicgrid.entrypoints.api.schemas import Strict
from civicgrid.services import dispatch_settings, overrides

router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])


class Route(BaseModel):
    category_code: str
    org_code: str | None
    assignee_code: str | None


class OverrideOut(BaseModel):
    """A registration or dispatch that chose otherwise than suggested."""

    case_number: str
    at: datetime
    action: Literal["register", "dispatch"]
    actor_role: str
    actor_name: str
    suggested: Route
    chosen: Route = Field(description="For a registration only the category is chosen (the rest null).")
    confidence: float | None
    model_version: int | None


class Acceptance(BaseModel):
    """How often people took the suggestion (automatic dispatches counted apart); rates null without data."""

    suggested: int
    auto_dispatched: int
    decided: int
    taken: int
    category_taken: int
    org_taken: int
    org_decided: int
    assignee_taken: int
    acceptance_rate: float | None
    category_rate: float | None
    org_rate: float | None
    assignee_rate: float | None


class OverridePage(BaseModel):
    items: list[OverrideOut]
    total: int
    page: int
    page_size: int
    acceptance: Acceptance


class SettingsOut(BaseModel):
    """A category's own dispatch settings; null fields follow the defaults."""

    category_code: str
    auto_mode: AutoMode
    auto_min_confidence: float | None
    duplicate_radius_m: float | None
    duplicate_window_days: float | None
    updated_at: datetime | None
    updated_by: str


class SettingsBody(Strict):
    """Fields left out stay as they are; null returns the duplicate settings to the defaults."""

    auto_mode: AutoMode | None = Field(None, description="on (with auto_min_confidence), off, or default.")
    auto_min_confidence: Annotated[float | None, Field(ge=0, le=1)] = None
    duplicate_radius_m: Annotated[float | None, Field(ge=1, le=5000)] = None
    duplicate_window_days: Annotated[float | None, Field(gt=0, le=365)] = None


def _route(values: tuple[str, str | None, str | None]) -> Route:
    return Route(category_code=values[0], org_code=values[1], assignee_code=values[2])


@router.get("/overrides", response_model=OverridePage)
def list_overrides(
    app: AppDep,
    caller: StaffDep,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OverridePage:
    """Registrations and dispatches that differ from the suggestion, newest first (supervisors, admins)."""
    found, total = overrides.list_overrides(
        uow=app.reader,
        actor=caller.actor,
        since=local_time(app, since),
        until=local_time(app, until),
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    return OverridePage(
        items=[
            OverrideOut(
                case_number=o.case_number,
                at=o.at,
                action="register" if o.action == "register" else "dispatch",
                actor_role=o.actor_role,
                actor_name=o.actor_name,
                suggested=_route(o.suggested),
                chosen=_route(o.chosen),
                confidence=o.confidence,
                model_version=o.model_version,
            )
            for o in found
        ],
        total=total,
        page=page,
        page_size=page_size,
        acceptance=Acceptance(**overrides.acceptance(uow=app.reader, since=local_time(app, since))),
    )


@router.get("/settings", response_model=list[SettingsOut])
def list_settings(app: AppDep, caller: StaffDep) -> list[SettingsOut]:
    """Categories with their own automatic-dispatch and duplicate settings (the rest follow the defaults)."""
    found = dispatch_settings.category_settings(uow=app.reader)
    return [_settings_out(s) for _, s in sorted(found.items())]


@router.put("/settings/{category_code}", response_model=SettingsOut)
def change_settings(
    category_code: Annotated[str, Path(max_length=32)], body: SettingsBody, app: AppDep, caller: StaffDep
) -> SettingsOut:
    """Change a category's automatic dispatch (on above a confidence, off, default) or duplicate search."""
    given = body.model_fields_set
    changed = dispatch_settings.change_settings(
        uow=app.uow,
        actor=caller.actor,
        category_code=category_code,
        now=app.clock(),
        auto_mode=body.auto_mode,
        auto_min_confidence=body.auto_min_confidence,
        **{k: getattr(body, k) for k in ("duplicate_radius_m", "duplicate_window_days") if k in given},
    )
    return _settings_out(changed)


def _settings_out(s: CategorySettings) -> SettingsOut:
    return SettingsOut(
        category_code=s.category_code,
        auto_mode=s.auto_mode,
        auto_min_confidence=s.auto_min_confidence,
        duplicate_radius_m=s.duplicate_radius_m,
        duplicate_window_days=s.duplicate_window_days,
        updated_at=s.updated_at,
        updated_by=s.updated_by,
    )
