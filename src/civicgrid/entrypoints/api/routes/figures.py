"""/api/v1/figures: response, resolution and satisfaction rates, closure and on-time rates, per group."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from civicgrid.analytics.figures import figures as compute
from civicgrid.analytics.figures import previous_period
from civicgrid.analytics.rollups.query import midnight
from civicgrid.domain.access import scope_of
from civicgrid.entrypoints.api.case_filters import local_time
from civicgrid.entrypoints.api.deps import AppDep, StaffDep

router = APIRouter(prefix="/api/v1", tags=["figures"])
Group = Literal["street", "community", "grid", "microgrid", "org", "worker", "category", "urgency", "source"]


@router.get("/figures")
def figures(
    app: AppDep,
    caller: StaffDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="Default: 30 days before 'to'.")
    ] = None,
    end: Annotated[
        datetime | None,
        Query(alias="to", description="Default: the end of today (local time; nothing is submitted later)."),
    ] = None,
    group_by: Group | None = None,
    hours: Annotated[
        bool,
        Query(description="Include median and p90 hours to accept and to close (false: faster, hours null)."),
    ] = True,
) -> dict[str, Any]:
    """The DOMAIN.md rates for cases submitted in [from, to), per group, beside the period just before."""
    now = app.clock()
    zone = ZoneInfo(app.settings.timezone)
    # Whole local days by default, so the figures come from the rollups alone.
    stop = local_time(app, end) or midnight(now.astimezone(zone).date() + timedelta(days=1), zone)
    begin = local_time(app, start) or stop - timedelta(days=30)
    with app.engine.connect() as conn:
        groups = compute(
            conn,
            start=begin,
            end=stop,
            group=group_by,
            now=now,
            scope=scope_of(caller.actor),
            zone=zone,
            hours=hours,
        )
    before, _ = previous_period(begin, stop)
    return {
        "from": begin,
        "to": stop,
        "group_by": group_by,
        "previous": {"from": before, "to": begin},
        "groups": groups,
    }
