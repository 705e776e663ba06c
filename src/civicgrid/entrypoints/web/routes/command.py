"""The command centre (指挥中心): the desk view and the wall screen, for leaders, supervisors and operators.

The page handlers compute the period in the district's time and render the figures of
``analytics.dashboard.overview``; the map and the trend chart come from /api/v1/figures/map and /trends
(static/command.js), which the wall also polls every minute.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from civicgrid.analytics.dashboard import Figure, RankGroup, overview
from civicgrid.domain.access import scope_of
from civicgrid.domain.dashboard_periods import Period, Preset, period_of, typed_day
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, Caller
from civicgrid.entrypoints.web.access import require
from civicgrid.entrypoints.web.rendering import refusal, render
from civicgrid.i18n import N_, translate

router = APIRouter(include_in_schema=False)

PERIODS = {
    Preset.TODAY: N_("Today"),
    Preset.WEEK: N_("This week"),
    Preset.MONTH: N_("This month"),
    Preset.LAST_30_DAYS: N_("Last 30 days"),
    Preset.CUSTOM: N_("From – to"),
}
FIGURES = {
    "score": N_("Overall score"),
    "response": N_("Response rate"),
    "resolution": N_("Resolution rate"),
    "satisfaction": N_("Satisfaction rate"),
    "on_time": N_("On-time closure rate"),
    "closure": N_("Closure rate"),
    "rework": N_("Rework rate"),
    "submitted": N_("Cases submitted"),
    "open": N_("Open cases"),
    "overdue": N_("Overdue"),
    "closed": N_("Cases closed"),
}
GROUPS = {
    "street": N_("Street"),
    "community": N_("Community"),
    "org": N_("Department"),
    "worker": N_("Grid worker"),
}
CommandCaller = Annotated[Caller, Depends(require(Role.LEADER, Role.SUPERVISOR, Role.OPERATOR))]


def _period(app: Any, preset: Preset, first: date | None, last: date | None) -> Period:
    zone = ZoneInfo(app.settings.timezone)
    return period_of(preset, now=app.clock(), zone=zone, first_day=first, last_day=last)


def _page(
    request: Request,
    app: Any,
    caller: Caller,
    template: str,
    choice: dict[str, Any],
    limit: int,
) -> Response:
    error, status, shown = None, 200, choice["period"]
    try:
        first = last = None
        if choice["period"] == Preset.CUSTOM:  # the boxes count only for a period of one's own
            first, last = (
                typed_day(choice["first"], N_("From")),
                typed_day(choice["last"], N_("To (inclusive)")),
            )
        period = _period(app, choice["period"], first, last)
        if choice["period"] != Preset.CUSTOM:  # the date boxes show the preset's own days, not old ones
            choice = {**choice, "first": "", "last": ""}
    except DomainError as exc:
        # The figures of the last 30 days meanwhile; the form keeps what was asked, to be put right.
        error, _fields, status = refusal(request, exc)
        shown = Preset.LAST_30_DAYS
        period = _period(app, shown, None, None)
    with app.engine.connect() as conn:
        data = overview(
            conn,
            period=period,
            now=app.clock(),
            scope=scope_of(caller.actor),
            rankings=choice["rankings"],
            limit=limit,
            locale=request.state.locale,
        )
    locale = request.state.locale
    context = {
        "data": data,
        "period": period,
        "choice": choice,
        "error": error,
        "desk_areas": _areas(caller),
        "period_choices": [(p.value, label) for p, label in PERIODS.items()],
        "period_label": PERIODS[shown],
        "figure_labels": FIGURES,
        "group_labels": GROUPS,
        "js_figures": {k: translate(v, locale) for k, v in FIGURES.items()},
        "delta_day": timedelta(days=1),
        "previous_in_whole_days": _previous_in_whole_days(period, ZoneInfo(app.settings.timezone)),
    }
    return render(request, template, context, status_code=status)


def _previous_in_whole_days(period: Period, zone: ZoneInfo) -> bool:
    """Whether the previous period ends at a local midnight (whole days, said as the period's own are),
    rather than at the moment it is cut at (the current period still runs)."""
    return period.previous_end.astimezone(zone).time() == time(0)


def _areas(caller: Caller) -> list[str]:
    return sorted(caller.actor.area_codes) if caller.actor.role is not Role.LEADER else []


@router.get("/command")
def desk(
    request: Request,
    app: AppDep,
    caller: CommandCaller,
    period: Preset = Preset.LAST_30_DAYS,
    first: Annotated[str, Query(alias="from", max_length=40)] = "",
    last: Annotated[str, Query(alias="to", max_length=40)] = "",
    group: RankGroup = "street",
    by: Figure = "score",
) -> Response:
    """The desk view: figures with the previous period, map, trends, rankings and categories."""
    choice = {
        "period": period,
        "first": first,
        "last": last,
        "group": group,
        "by": by,
        "rankings": [(group, by)],
    }
    return _page(request, app, caller, "command/desk.html", choice, limit=10)


@router.get("/command/wall")
def wall(
    request: Request,
    app: AppDep,
    caller: CommandCaller,
    period: Preset = Preset.LAST_30_DAYS,
    first: Annotated[str, Query(alias="from", max_length=40)] = "",
    last: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The 1920x1080 wall screen: the same figures in large type, refreshed every minute in place."""
    choice = {
        "period": period,
        "first": first,
        "last": last,
        "group": "street",
        "by": "score",
        "rankings": [("street", "score"), ("org", "score")],
    }
    return _page(request, app, caller, "command/wall.html", choice, limit=5)
