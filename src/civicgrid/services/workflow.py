"""Lifecycle actions on a case: load, check access and version, call the domain, save once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.access import can_see
from civicgrid.domain.case_types import Callback, Satisfaction, Status
from civicgrid.domain.cases import Case, DeadlinePolicy
from civicgrid.domain.errors import N_, DomainError, InvalidInput, NotFound
from civicgrid.domain.roles import Actor
from civicgrid.domain.time_limits import default_limit
from civicgrid.services.overrides import note_decision


class UnknownAction(DomainError):
    code = "unknown_action"
    message = N_("Unknown action: {action}.")


class UnknownAssignee(DomainError):
    code = "unknown_assignee"
    message = N_("There is no active grid worker {code}.")


class UnknownOrganisation(DomainError):
    code = "unknown_organisation"
    message = N_("There is no department or utility unit {code}.")


@dataclass(frozen=True)
class Context:
    """What an action needs besides the case: who, when, the deadline policy and the open unit of work."""

    actor: Actor
    now: datetime
    deadlines: DeadlinePolicy
    uow: UnitOfWork


Handler = Callable[[Case, Context, Mapping[str, Any]], None]


def _register(case: Case, x: Context, p: Mapping[str, Any]) -> None:
    register_case(case, x.uow, x.actor, x.now, note=p.get("note", ""), category_code=p.get("category_code"))
    note_decision(x.uow, case, x.actor, x.now, dispatching=False)


def register_case(
    case: Case,
    u: UnitOfWork,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    category_code: str | None = None,
) -> None:
    """Register with the time limit of the (possibly corrected) category and the case's urgency."""
    code = category_code or case.category_code
    category = u.reference.category(code)  # an unknown or retired category is refused here
    limit = u.reference.time_limit(code, case.urgency)
    if limit is None:
        limit = default_limit(category.limit_class, case.urgency)
    case.register(actor=actor, at=now, limit=limit, note=note, category_code=code)


def _merge(case: Case, x: Context, p: Mapping[str, Any]) -> None:
    target = _load_visible(x.uow, x.actor, p["into"])
    case.merge_into(actor=x.actor, at=x.now, target=target, note=p.get("note", ""))


def _dispatch(case: Case, x: Context, p: Mapping[str, Any]) -> None:
    org = p["org_code"]
    if not x.uow.reference.organisation_exists(org):
        raise UnknownOrganisation(code=org)
    assignee = p.get("assignee_code") or None
    if assignee is not None and not x.uow.reference.worker_exists(assignee):
        raise UnknownAssignee(code=assignee)
    case.dispatch(
        actor=x.actor,
        at=x.now,
        org_code=org,
        assignee_code=assignee,
        deadlines=x.deadlines,
        note=p.get("note", ""),
    )
    note_decision(x.uow, case, x.actor, x.now, dispatching=True)


def _callback(case: Case, x: Context, p: Mapping[str, Any]) -> None:
    satisfaction = p.get("satisfaction")
    callback = Callback(
        valid=bool(p.get("valid", True)),
        contacted=bool(p.get("contacted", False)),
        resolved=bool(p.get("resolved", False)),
        satisfaction=Satisfaction(satisfaction) if satisfaction else None,
        comment=p.get("comment", ""),
    )
    if case.status is Status.MERGED and case.merged_into is not None:
        # A merged case's reporter is called back too, once the case it follows is resolved.
        survivor = x.uow.cases.get(case.merged_into)
        case.record_follower_callback(actor=x.actor, at=x.now, callback=callback, survivor=survivor)
    else:
        case.record_callback(actor=x.actor, at=x.now, callback=callback)


HANDLERS: dict[str, Handler] = {
    "register": _register,
    "reject": lambda c, x, p: c.reject(actor=x.actor, at=x.now, reason=p["reason"]),
    "merge": _merge,
    "dispatch": _dispatch,
    "accept": lambda c, x, p: c.accept(actor=x.actor, at=x.now, note=p.get("note", "")),
    "return": lambda c, x, p: c.request_return(actor=x.actor, at=x.now, reason=p["reason"]),
    "decide": lambda c, x, p: c.decide(
        actor=x.actor, at=x.now, approve=bool(p["approve"]), note=p.get("note", "")
    ),
    "start": lambda c, x, p: c.start(actor=x.actor, at=x.now, note=p.get("note", "")),
    "report": lambda c, x, p: c.report(
        actor=x.actor, at=x.now, note=p["note"], photos=tuple(p.get("photos", ()))
    ),
    "extend": lambda c, x, p: c.request_extension(
        actor=x.actor, at=x.now, new_due=p["new_due"], reason=p["reason"]
    ),
    "suspend": lambda c, x, p: c.request_suspension(actor=x.actor, at=x.now, reason=p["reason"]),
    "resume": lambda c, x, p: c.resume(
        actor=x.actor, at=x.now, deadlines=x.deadlines, note=p.get("note", "")
    ),
    "verify": lambda c, x, p: c.verify(actor=x.actor, at=x.now, ok=bool(p["ok"]), note=p.get("note", "")),
    "callback": _callback,
    "reopen": lambda c, x, p: c.reopen(actor=x.actor, at=x.now, deadlines=x.deadlines, reason=p["reason"]),
    "escalate": lambda c, x, p: c.escalate(
        actor=x.actor, at=x.now, reason=p["reason"], summon=tuple(p.get("summon", ()))
    ),
    "supervise": lambda c, x, p: c.supervise(
        actor=x.actor, at=x.now, note=p["note"], respond_by=p["respond_by"]
    ),
    "comment": lambda c, x, p: c.comment(
        actor=x.actor, at=x.now, note=p.get("note", ""), photos=tuple(p.get("photos", ()))
    ),
}
ACTIONS = tuple(HANDLERS)


def perform(
    *,
    uow: Callable[[], UnitOfWork],
    deadlines: DeadlinePolicy,
    number: str,
    action: str,
    actor: Actor,
    now: datetime,
    params: Mapping[str, Any],
    expected_version: int | None = None,
) -> Case:
    """Apply one lifecycle action to the case ``number`` and save it; a stale version is refused."""
    handler = HANDLERS.get(action)
    if handler is None:
        raise UnknownAction(action=action)
    with uow() as u:
        case = _load_visible(u, actor, number)
        case.check_version(expected_version)
        try:
            handler(case, Context(actor=actor, now=now, deadlines=deadlines, uow=u), params)
        except KeyError as exc:  # the HTTP and CLI schemas require these; a direct caller may forget one
            raise InvalidInput(detail=f"missing {exc.args[0]}") from None
        u.cases.save(case)
        u.accounts.audit(
            actor=actor, action=f"case.{action}", target=number, detail=_audit_detail(params), now=now
        )
        u.commit()
    return case


def _audit_detail(params: Mapping[str, Any]) -> dict[str, Any]:
    # What the actor asked for, in JSON terms (dates as text); notes are kept: they are part of the record.
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in params.items()}


def view_case(*, uow: Callable[[], UnitOfWork], number: str, actor: Actor) -> Case:
    """The case ``number`` if the actor may see it; NotFound otherwise (as if it did not exist)."""
    with uow() as u:
        return _load_visible(u, actor, number)


def _load_visible(u: UnitOfWork, actor: Actor, number: str) -> Case:
    # A case the actor may not see answers exactly like one that does not exist: numbers can be guessed.
    case_id = u.cases.id_by_number(number)
    if case_id is None:
        raise NotFound(what=number)
    case = u.cases.get(case_id)
    visible = can_see(
        actor,
        areas=case.areas,
        org_code=case.org_code,
        assignee_code=case.assignee_code,
        reporter_user_id=case.reporter.user_id,
    )
    if not visible:
        raise NotFound(what=number)
    return case
