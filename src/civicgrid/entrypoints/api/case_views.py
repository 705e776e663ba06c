"""Domain cases and list rows turned into the API's schemas, with personal data masked by role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicgrid.analytics.case_queries import row_reporter
from civicgrid.domain.access import sees_reporter_in_full
from civicgrid.domain.case_types import ASSIGNED_STATUSES, Action
from civicgrid.domain.cases import Case
from civicgrid.domain.roles import Actor
from civicgrid.entrypoints.api.schemas import (
    AreaRefOut,
    CaseListItem,
    CaseOut,
    CasePublic,
    EventOut,
    PublicEvent,
    ReporterOut,
)
from civicgrid.services.tracking import Tracked

# What a resident's tracking page shows of the history: steps, not staff notes or internal decisions.
PUBLIC_ACTIONS = {
    Action.SUBMIT,
    Action.REGISTER,
    Action.REJECT,
    Action.MERGE,
    Action.DISPATCH,
    Action.ACCEPT,
    Action.START,
    Action.REPORT,
    Action.VERIFY,
    Action.REWORK,
    Action.CALLBACK,
    Action.REOPEN,
}
# Notes shown publicly: the reason of a refusal and the reported result; other notes stay internal.
PUBLIC_NOTES = {Action.REJECT, Action.REPORT}


def case_out(case: Case, actor: Actor, now: datetime) -> CaseOut:
    """The staff view of a case."""
    assert case.id is not None and case.number is not None
    full = sees_reporter_in_full(actor, assignee_code=case.assignee_code, org_code=case.org_code)
    r = case.reporter if full else case.reporter.masked()
    return CaseOut(
        id=case.id,
        number=case.number,
        version=case.version,
        status=case.status.value,
        source=case.source.value,
        category_code=case.category_code,
        urgency=case.urgency.value,
        description=case.description,
        lon=case.location.lon,
        lat=case.location.lat,
        address=case.location.address,
        areas=AreaRefOut(
            microgrid=case.areas.microgrid,
            grid=case.areas.grid,
            community=case.areas.community,
            street=case.areas.street,
        ),
        reporter=ReporterOut(
            name=r.name, phone=r.phone, email=r.email, anonymous=r.anonymous, masked=not full
        ),
        org_code=case.org_code,
        assignee_code=case.assignee_code,
        time_limit=str(case.limit) if case.limit else None,
        submitted_at=case.submitted_at,
        registered_at=case.registered_at,
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
        handled_at=case.handled_at,
        closed_at=case.closed_at,
        accept_due=case.accept_due,
        due=case.due,
        due_provisional=case.due_provisional,
        overdue=case.is_overdue(now),
        warning=case.warning.value,
        escalation=case.escalation.value,
        outcome=case.outcome.value if case.outcome else None,
        merged_into=case.merged_into,
        pending=None
        if case.pending is None
        else {
            "kind": case.pending.kind,
            "requested_by": case.pending.requested_by,
            "at": case.pending.at.isoformat(),
            "reason": case.pending.reason,
            "new_due": case.pending.new_due.isoformat() if case.pending.new_due else None,
        },
        satisfaction=case.callback.satisfaction.value
        if case.callback and case.callback.satisfaction
        else None,
        photos=list(case.photos),
        attributes=dict(case.attributes),
        counts={
            "returns": case.return_count,
            "reworks": case.rework_count,
            "reopens": case.reopen_count,
            "extensions": case.extension_count,
            "supervisions": case.supervision_count,
        },
        history=[
            EventOut(
                seq=e.seq,
                action=e.action.value,
                at=e.at,
                actor_role=e.actor_role.value,
                actor_name=e.actor_name,
                from_status=e.from_status.value if e.from_status else None,
                to_status=e.to_status.value,
                note=e.note,
                data=dict(e.data),
                attachments=list(e.attachments),
            )
            for e in case.history()
        ],
    )


def case_public(tracked: Tracked) -> CasePublic:
    """The reporter's view through the tracking link (a merged report shows the case it follows)."""
    case = tracked.case
    assert case.number is not None
    rating = tracked.rating
    return CasePublic(
        number=case.number,
        status=case.status.value,
        category_code=case.category_code,
        description=case.description,
        area=tracked.community,
        submitted_at=case.submitted_at,
        due=case.due,
        closed_at=case.closed_at,
        can_rate=tracked.can_rate,
        rating=rating.value if rating else None,
        rated_on_a_call=rating is not None and tracked.rated_on_a_call,
        merged_from=tracked.own.number if tracked.own is not None else None,
        history=[
            PublicEvent(
                at=e.at,
                action=e.action.value,
                to_status=e.to_status.value,
                note=e.note if e.action in PUBLIC_NOTES else "",
            )
            for e in case.history()
            if e.action in PUBLIC_ACTIONS
        ],
    )


def list_item(row: dict[str, Any], actor: Actor, now: datetime) -> CaseListItem:
    """One row of a case list."""
    reporter = row_reporter(row, actor)
    running = row["status"] in {s.value for s in ASSIGNED_STATUSES}
    return CaseListItem(
        number=row["number"],
        version=row["version"],
        status=row["status"],
        source=row["source"],
        category_code=row["category_code"],
        urgency=row["urgency"],
        description=row["description"],
        address=row["address"],
        lon=row["lon"],
        lat=row["lat"],
        street_code=row["street_code"],
        community_code=row["community_code"],
        grid_code=row["grid_code"],
        microgrid_code=row["microgrid_code"],
        org_code=row["org_code"],
        assignee_code=row["assignee_code"],
        reporter_name=reporter.name,
        reporter_phone=reporter.phone,
        submitted_at=row["submitted_at"],
        due=row["due"],
        overdue=bool(running and row["due"] is not None and row["due"] < now),
        warning=row["warning"],
        pending=(row["pending"] or {}).get("kind"),
    )
