"""The reporter's side: view a case and rate it through the secret tracking link, without an account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import Callback, Satisfaction
from civicgrid.domain.cases import Case
from civicgrid.domain.errors import NotFound
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.intake import hash_token

TOKEN_MAX = 100


def case_by_token(*, uow: Callable[[], UnitOfWork], token: str) -> tuple[Case, str]:
    """The case a tracking token opens, with the name of its community; NotFound for any other token."""
    with uow() as u:
        case = _load(u, token)
        names = u.areas.names([case.areas.community])
    return case, names.get(case.areas.community, "")


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
