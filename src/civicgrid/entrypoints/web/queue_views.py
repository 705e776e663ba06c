"""Queue rows as the desk pages show them: masked by role (``list_item``), with names for every code.

Also the links every list carries: its page links and its export links with the same filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from civicgrid.analytics.case_labels import labels_for
from civicgrid.domain.roles import Actor
from civicgrid.entrypoints.api.case_views import list_item
from civicgrid.entrypoints.api.schemas import CaseListItem
from civicgrid.entrypoints.web.rendering import render
from civicgrid.i18n import N_

# Codes the desk pages show by label (``_(code)``): marked here so Babel extracts them.
DESK_CODE_LABELS = (
    N_("web"),
    N_("hotline"),
    N_("open311"),
    N_("patrol"),
    N_("enterprise"),
    N_("return"),
    N_("extension"),
    N_("suspension"),
)


# The area codes a queue row carries, each shown by its name.
AREA_KEYS = ("street_code", "community_code", "grid_code", "microgrid_code")


@dataclass(frozen=True)
class Row:
    """One case of a queue: the list item (masked for the reader) and the names of its codes."""

    case: CaseListItem
    category: str
    street: str
    community: str
    grid: str
    microgrid: str
    organisation: str
    assignee: str
    time_limit: str
    extra: dict[str, Any]
    waited: timedelta  # since the report came in
    late_by: timedelta | None  # past the deadline, while the clock runs
    accept_late_by: timedelta | None  # dispatched and not signed for within the acceptance limit
    accept_due: datetime | None  # when a dispatched case must be signed for (签收)
    # Names of the codes its extras mention (organisations summoned, who asked for a decision).
    names: dict[str, str] = field(default_factory=dict)

    def name(self, code: str | None) -> str:
        """An organisation's or worker's name for a code from ``extra``, or the code itself."""
        return self.names.get(code or "", code or "")

    @property
    def number(self) -> str:
        """The case number."""
        return self.case.number

    @property
    def place(self) -> str:
        """Where, as a desk reads it: the address, else the micro-grid and community."""
        return self.case.address or f"{self.microgrid} · {self.community}"


def _mentioned(r: dict[str, Any]) -> list[str]:
    """The organisation or worker codes a row's event and pending request name."""
    data, pending = r.get("event_data") or {}, r.get("pending") or {}
    summoned = data.get("summon") if isinstance(data, dict) else None
    asked = pending.get("requested_by") if isinstance(pending, dict) else None
    return [str(c) for c in (summoned or [])] + ([str(asked)] if asked else [])


def present(conn: Any, rows: Sequence[dict[str, Any]], actor: Actor, now: datetime, locale: str) -> list[Row]:
    """Turn queue rows into display rows, masking the reporter where the reader's role says so."""
    mentions = [_mentioned(r) for r in rows]
    mentioned = [c for codes in mentions for c in codes]
    labels = labels_for(
        conn,
        locale=locale,
        category_codes=[r.get("category_code") for r in rows],
        org_codes=[*(r.get("org_code") for r in rows), *mentioned],
        worker_codes=[*(r.get("assignee_code") for r in rows), *mentioned],
        area_codes=[r.get(k) for r in rows for k in AREA_KEYS],
        short_organisations=True,
        with_time_limits=True,
    )
    out = []
    for r, codes in zip(rows, mentions, strict=True):
        item = list_item(r, actor, now)
        out.append(
            Row(
                case=item,
                category=labels.category(item.category_code),
                street=labels.area(item.street_code),
                community=labels.area(item.community_code),
                grid=labels.area(item.grid_code),
                microgrid=labels.area(item.microgrid_code),
                organisation=labels.organisation(item.org_code) if item.org_code else "",
                assignee=labels.worker(item.assignee_code) if item.assignee_code else "",
                time_limit=labels.time_limits.get((item.category_code, item.urgency), ""),
                extra={k: v for k, v in r.items() if k.startswith(("event_", "respond_")) or k == "pending"},
                waited=max(timedelta(0), now - item.submitted_at),
                late_by=now - item.due if item.overdue and item.due is not None else None,
                accept_late_by=_accept_late(r, now),
                accept_due=r.get("accept_due") if r["status"] == "dispatched" else None,
                names={c: labels.organisations.get(c) or labels.workers.get(c) or c for c in codes},
            )
        )
    return out


_LIMIT_TEXTS = {
    ("h", "natural"): N_("{n} h"),
    ("h", "working"): N_("{n} working hours"),
    ("d", "natural"): N_("{n} days"),
    ("d", "working"): N_("{n} working days"),
}


def limit_text(limit: str, translate: Any) -> str:
    """'7d working' as the reader says it ('7 个工作日'); an unreadable limit is shown as stored."""
    parts = limit.split()
    if len(parts) != 2 or not parts[0][:-1].isdigit():
        return limit
    template = _LIMIT_TEXTS.get((parts[0][-1], parts[1]))
    return translate(template, n=parts[0][:-1]) if template else limit


def _accept_late(row: dict[str, Any], now: datetime) -> timedelta | None:
    due = row.get("accept_due")
    if row["status"] != "dispatched" or due is None or due >= now:
        return None
    late: timedelta = now - due
    return late


def render_desk(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """``render`` with the helper the queue templates use (time limits as the reader says them)."""
    return render(request, template, {"limit_text": limit_text, **context}, status_code=status_code)


def query_string(params: Iterable[tuple[str, Any]]) -> str:
    """'a=1&b=2' from pairs, leaving out empty values (repeated keys kept, e.g. status=a&status=b)."""
    return urlencode([(k, v) for k, v in params if v not in (None, "", False)])


def with_query(path: str, params: Iterable[tuple[str, Any]]) -> str:
    """``path`` with the non-empty parameters."""
    qs = query_string(params)
    return f"{path}?{qs}" if qs else path


def export_links(params: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The CSV and Excel exports of a case list, with the list's filters (the exports take the same)."""
    qs = query_string(params)
    suffix = f"?{qs}" if qs else ""
    return {"csv": f"/exports/cases.csv{suffix}", "xlsx": f"/exports/cases.xlsx{suffix}"}


def pages_of(total: int, page_size: int) -> int:
    """How many pages a list of ``total`` rows takes (at least one)."""
    return max(1, -(-total // page_size))
