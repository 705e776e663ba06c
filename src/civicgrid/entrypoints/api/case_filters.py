"""The query parameters of a case list, parsed once for every door that lists cases (API, pages, exports)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Query

from civicgrid.analytics.case_queries import CaseFilters
from civicgrid.domain.case_types import Source, Status
from civicgrid.domain.periods import search_bound
from civicgrid.entrypoints.api.deps import AppDep


def local_time(app: AppDep, value: datetime | None) -> datetime | None:
    """A search bound: local time when it has no zone, held within the years any record can have."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(app.settings.timezone))
    return search_bound(value)


def case_filters(
    app: AppDep,
    status: Annotated[list[Status] | None, Query(description="Repeat for several.")] = None,
    area: Annotated[
        str | None, Query(max_length=32, description="Street, community, grid or micro-grid code.")
    ] = None,
    org: Annotated[str | None, Query(max_length=32)] = None,
    assignee: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    urgency: Annotated[str | None, Query(max_length=16)] = None,
    source: Annotated[Source | None, Query()] = None,
    submitted_from: Annotated[datetime | None, Query(alias="from")] = None,
    submitted_to: Annotated[datetime | None, Query(alias="to")] = None,
    overdue: bool | None = None,
    pending: bool | None = None,
    warning: Annotated[Literal["yellow", "red"] | None, Query(description="Deadline warning level.")] = None,
    deadline: Annotated[
        Literal["warned", "red", "yellow"] | None,
        Query(
            description="The overdue board's level: warned (past or near the deadline), red (past it or "
            "signed for late) or yellow (the other warned ones); running cases only."
        ),
    ] = None,
    escalated: Annotated[bool | None, Query(description="Raised above the grid.")] = None,
    supervised: Annotated[bool | None, Query(description="Has had a supervision order.")] = None,
    awaiting_callback: Annotated[
        bool | None, Query(description="Resolved and not yet called back, merged reporters included.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in the number, description or address.")
    ] = None,
) -> CaseFilters:
    """The filters of ``GET /api/v1/cases`` (and of the case pages and exports)."""
    return CaseFilters(
        statuses=[x.value for x in status or []],
        area_code=area,
        org_code=org,
        assignee_code=assignee,
        category_code=category,
        urgency=urgency,
        source=source.value if source else None,
        submitted_from=local_time(app, submitted_from),
        submitted_to=local_time(app, submitted_to),
        overdue=overdue,
        pending=pending,
        warning=warning,
        deadline=deadline,
        escalated=escalated,
        supervised=supervised,
        awaiting_callback=awaiting_callback,
        text=q,
    )


CaseFiltersDep = Annotated[CaseFilters, Depends(case_filters)]
