"""The case search: its query string (the same parameters as GET /api/v1/cases) and what the list shows.

A search form sends every field, empty ones too; an empty field means "any". The export links and the
pager carry only the filters that are set, so `/exports/cases.csv?...` gets exactly what the list shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.engine import Connection

from civicgrid.analytics.case_labels import choices, labels_for
from civicgrid.analytics.case_queries import DEADLINE_LEVELS, SORTS, CaseFilters, Page
from civicgrid.domain.case_types import Source, Status
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.domain.periods import search_bound
from civicgrid.entrypoints.api.schemas import CaseListItem
from civicgrid.entrypoints.web.case_messages import SORT_LABELS
from civicgrid.entrypoints.web.moments import typed_moment

PAGE_SIZES = (20, 50, 100)
TEXT_FIELDS = ("area", "org", "assignee", "category", "q")


class InvalidSearch(InvalidInput):
    code = "invalid_search"
    message = N_("The search has a value that is not valid: {field}.")


@dataclass(frozen=True)
class ListQuery:
    """A parsed search: filters for the read side, paging, order, and the clean query parameters."""

    filters: CaseFilters
    page: int = 1
    page_size: int = 50
    sort: str = "newest"
    params: list[tuple[str, str]] = field(default_factory=list)  # set filters only, in form order


def parse_query(request: Request, timezone: str) -> ListQuery:
    """The list's filters from the query string; a value that cannot be read is a 422, never a 500."""
    q = request.query_params
    params: list[tuple[str, str]] = []
    statuses = [s for s in q.getlist("status") if s]
    for s in statuses:
        _check(s in {x.value for x in Status}, "status")
        params.append(("status", s))
    values: dict[str, str | None] = {}
    for name in TEXT_FIELDS:
        value = (q.get(name) or "").strip()
        _check(len(value) <= (100 if name == "q" else 32), name)
        values[name] = value or None
    for name, allowed in (("urgency", {u.value for u in Urgency}), ("source", {s.value for s in Source})):
        value = q.get(name) or ""
        _check(not value or value in allowed, name)
        values[name] = value or None
    flags = {
        name: _flag(q.get(name) or "", name) for name in ("overdue", "pending", "escalated", "supervised")
    }
    warning = q.get("warning") or ""
    _check(warning in ("", "yellow", "red"), "warning")
    if warning:
        params.append(("warning", warning))
    deadline = q.get("deadline") or ""
    _check(not deadline or deadline in DEADLINE_LEVELS, "deadline")
    if deadline:
        params.append(("deadline", deadline))
    bounds = {name: _bound(q.get(name) or "", timezone, name) for name in ("from", "to")}
    for name in ("area", "org", "assignee", "category", "urgency", "source", "q"):
        if values[name]:
            params.append((name, str(values[name])))
    for name in ("from", "to", "overdue", "pending", "escalated", "supervised"):
        if {**bounds, **flags}[name] is not None:
            params.append((name, q.get(name) or ""))
    filters = CaseFilters(
        statuses=statuses,
        area_code=values["area"],
        org_code=values["org"],
        assignee_code=values["assignee"],
        category_code=values["category"],
        urgency=values["urgency"],
        source=values["source"],
        submitted_from=bounds["from"],
        submitted_to=bounds["to"],
        overdue=flags["overdue"],
        pending=flags["pending"],
        warning=warning or None,
        deadline=deadline or None,
        escalated=flags["escalated"],
        supervised=flags["supervised"],
        text=values["q"],
    )
    sort = q.get("sort") or "newest"
    _check(sort in SORTS, "sort")
    page = _whole(q.get("page") or "1", "page", 1, 100000)
    size = _whole(q.get("page_size") or "50", "page_size", 1, 200)
    return ListQuery(filters=filters, page=page, page_size=size, sort=sort, params=params)


def context(
    conn: Connection, query: ListQuery, found: Page, items: list[CaseListItem], locale: str
) -> dict[str, Any]:
    """What the list template shows: rows with names, the form's choices, pager, sort and export links."""
    labels = labels_for(
        conn,
        locale=locale,
        category_codes=[i.category_code for i in items],
        org_codes=[i.org_code for i in items],
        worker_codes=[i.assignee_code for i in items],
        area_codes=[i.grid_code for i in items],
        short_organisations=True,
    )
    filters = urlencode(query.params)
    extra = [("sort", query.sort)] if query.sort != "newest" else []
    extra += [("page_size", str(query.page_size))] if query.page_size != 50 else []
    base = "/cases?" + urlencode(query.params + extra)
    return {
        "items": items,
        "total": found.total,
        "page": found.page,
        "pages": max(1, math.ceil(found.total / found.page_size)),
        "labels": labels,
        "choices": choices(conn, locale=locale),
        "query": query,
        "chosen": dict(query.params),
        "statuses_chosen": [v for k, v in query.params if k == "status"],
        "base_url": base,
        "filters_qs": filters,
        "page_sizes": PAGE_SIZES,
        "sort_labels": SORT_LABELS,
        "statuses": [s.value for s in Status],
        "urgencies": [u.value for u in Urgency],
        "sources": [s.value for s in Source],
    }


# The search form's label of each parameter: a refusal names the field as the reader sees it.
FIELD_LABELS = {
    "status": N_("Status"),
    "area": N_("Area"),
    "org": N_("Department or unit"),
    "assignee": N_("Grid worker (code)"),
    "category": N_("Category"),
    "urgency": N_("Urgency"),
    "source": N_("Source"),
    "q": N_("Number, description or address"),
    "from": N_("Submitted from"),
    "to": N_("Submitted before"),
    "overdue": N_("Time limit"),
    "deadline": N_("Deadline"),
    "pending": N_("Waiting for a supervisor's decision"),
    "warning": N_("Warning"),
    "escalated": N_("Escalations"),
    "supervised": N_("Supervision orders"),
    "sort": N_("Sort by"),
    "page": N_("Page number"),
    "page_size": N_("Per page"),
}


def _check(ok: bool, name: str) -> None:
    if not ok:
        raise InvalidSearch(field=FIELD_LABELS[name])


def _flag(value: str, name: str) -> bool | None:
    if value == "":
        return None
    _check(value in ("true", "false"), name)
    return value == "true"


def _whole(value: str, name: str, low: int, high: int) -> int:
    _check(value.isascii() and value.isdigit() and low <= int(value) <= high, name)
    return int(value)


def _bound(value: str, timezone: str, name: str) -> datetime | None:
    # A date or a date and time on the district's clock, as GET /api/v1/cases reads ?from= and ?to=.
    moment = typed_moment(value, timezone, field=FIELD_LABELS[name])
    return search_bound(moment) if moment is not None else None
