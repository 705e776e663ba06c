"""The reporter's side: view a case and rate it through the secret tracking link, without an account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import Action, Callback, Outcome, Satisfaction, Status
from civicgrid.domain.cases import Case
from civicgrid.domain.errors import NotFound
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.intake import hash_token

TOKEN_MAX = 100


@dataclass(frozen=True)
class Tracked:
    """What a tracking link shows: the case that carries the problem and, for a merged report, its own."""

    case: Case  # the case followed: the reporter's own, or the one it was merged into
    community: str
    own: Case | None = None  # the reporter's merged case, when ``case`` is the survivor

    @property
    def can_rate(self) -> bool:
        """The problem is resolved and this reporter has not rated it yet."""
        resolved = self.case.outcome is Outcome.RESOLVED
        if self.own is not None:
            closed = self.case.status in (Status.CLOSED, Status.EVALUATED)
            return resolved and closed and self.own.callback is None
        return resolved and self.case.status is Status.CLOSED

    @property
    def rating(self) -> Satisfaction | None:
        """This reporter's own rating, if given."""
        callback = (self.own or self.case).callback
        return callback.satisfaction if callback else None

    @property
    def rated_on_a_call(self) -> bool:
        """The rating was given on the staff's callback call (they recorded it), not on this page."""
        calls = [e for e in (self.own or self.case).history() if e.action is Action.CALLBACK]
        return bool(calls) and calls[-1].actor_role is not Role.RESIDENT


def case_by_token(*, uow: Callable[[], UnitOfWork], token: str) -> Tracked:
    """The case a tracking token opens (a merged report follows its survivor); NotFound otherwise."""
    with uow() as u:
        case = _load(u, token)
        own = None
        while case.merged_into is not None:  # merges can chain: follow to the case that carries the work
            own = own or case
            case = u.cases.get(case.merged_into)
        names = u.areas.names([case.areas.community])
    return Tracked(case, names.get(case.areas.community, ""), own)


def rate_by_token(
    *,
    uow: Callable[[], UnitOfWork],
    token: str,
    satisfaction: Satisfaction,
    resolved: bool,
    comment: str,
    now: datetime,
) -> Case:
    """The resident rates the handling of a closed case (满意 / 基本满意 / 不满意)."""
    with uow() as u:
        case = _load(u, token)
        resident = Actor(role=Role.RESIDENT, name="")
        callback = Callback(
            valid=True, contacted=True, resolved=resolved, satisfaction=satisfaction, comment=comment
        )
        if case.merged_into is not None:  # a merged report's reporter rates the case that carried it
            survivor = u.cases.get(case.merged_into)
            case.record_follower_callback(actor=resident, at=now, callback=callback, survivor=survivor)
        else:
            case.record_callback(actor=resident, at=now, callback=callback)
        u.cases.save(case)
        u.accounts.audit(
            actor=resident,
            action="case.rating",
            target=case.number or "",
            detail={"satisfaction": satisfaction.value},
            now=now,
        )
        u.commit()
    return case


def _load(u: UnitOfWork, token: str) -> Case:
    case_id = u.cases.id_by_tracking_hash(hash_token(token)) if 0 < len(token) <= TOKEN_MAX else None
    if case_id is None:
        raise NotFound(what="tracking link")
    return u.cases.get(case_id)
