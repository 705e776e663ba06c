"""/api/v1/figures/...: the command centre's panels (summary, trends, map, rankings, categories, overview).

Every panel takes the period as ``from`` and ``to`` like /api/v1/figures (ISO dates or datetimes, local
time when no zone is given; ``to`` is exclusive) and answers in the caller's scope.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from civicgrid.analytics import dashboard, trends
from civicgrid.bootstrap import App
from civicgrid.domain.access import scope_of
from civicgrid.domain.dashboard_periods import Period, between
from civicgrid.domain.geography import Level
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep, StaffDep

router = APIRouter(prefix="/api/v1/figures", tags=["figures"])

From = Annotated[datetime | None, Query(alias="from", description="Default: 30 days before 'to'.")]
To = Annotated[datetime | None, Query(alias="to", description="Default: now. Exclusive.")]


def period_from(app: App, start: datetime | None, end: datetime | None) -> Period:
    """The period of a request (4xx when 'from' is not before 'to' or the range is over 366 days)."""
    now = app.clock()
    stop = local_time(app, end) or now
    begin = local_time(app, start) or stop - timedelta(days=30)
    return between(begin, stop, now=now)


def _locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or "zh_CN"


@router.get("/summary")
def summary(app: AppDep, caller: StaffDep, start: From = None, end: To = None) -> dict[str, Any]:
    """Totals of the period and of the previous one of the same length, with each figure's change."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        found = dashboard.summary(conn, period=period, now=app.clock(), scope=scope_of(caller.actor))
    return {"from": period.start, "to": period.end, **found}


@router.get("/trends")
def daily_trends(app: AppDep, caller: StaffDep, start: From = None, end: To = None) -> dict[str, Any]:
    """Cases submitted, closed and gone overdue per local calendar day of the period (up to today)."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        days = trends.daily(
            conn,
            start=period.start,
            end=period.end,
            zone=ZoneInfo(app.settings.timezone),
            now=app.clock(),
            scope=scope_of(caller.actor),
        )
    return {"from": period.start, "to": period.end, "timezone": app.settings.timezone, "days": days}


@router.get("/map")
def area_map(
    app: AppDep,
    caller: StaffDep,
    start: From = None,
    end: To = None,
    parent: Annotated[str | None, Query(max_length=32, description="Show this area's children.")] = None,
    level: Annotated[Level | None, Query(description="Without parent: every area of this level.")] = None,
) -> dict[str, Any]:
    """GeoJSON of the areas with their figures (null where the period has no case) and the breadcrumb."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        found = dashboard.area_map(
            conn, period=period, now=app.clock(), scope=scope_of(caller.actor), parent=parent, level=level
        )
    return {"from": period.start, "to": period.end, **found}


@router.get("/rankings")
def rankings(
    request: Request,
    app: AppDep,
    caller: StaffDep,
    start: From = None,
    end: To = None,
    group: dashboard.RankGroup = "street",
    by: dashboard.Figure = "score",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Streets, communities, departments or workers by one figure: the top and the bottom ``limit``."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        found = dashboard.ranking(
            conn,
            period=period,
            group=group,
            by=by,
            now=app.clock(),
            scope=scope_of(caller.actor),
            limit=limit,
            locale=_locale(request),
        )
    return {"from": period.start, "to": period.end, **found}


@router.get("/categories")
def categories(
    request: Request, app: AppDep, caller: StaffDep, start: From = None, end: To = None
) -> dict[str, Any]:
    """大类 with their 小类: counts and rates for the period."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        majors = dashboard.categories_breakdown(
            conn, period=period, now=app.clock(), scope=scope_of(caller.actor), locale=_locale(request)
        )
    return {"from": period.start, "to": period.end, "majors": majors}


@router.get("/overview")
def overview(
    request: Request,
    app: AppDep,
    caller: StaffDep,
    start: From = None,
    end: To = None,
    group: dashboard.RankGroup = "street",
    by: dashboard.Figure = "score",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """The summary, one ranking and the category breakdown in one answer (the wall screen's refresh)."""
    period = period_from(app, start, end)
    with app.engine.connect() as conn:
        return dashboard.overview(
            conn,
            period=period,
            now=app.clock(),
            scope=scope_of(caller.actor),
            rankings=[(group, by)],
            limit=limit,
            locale=_locale(request),
        )
