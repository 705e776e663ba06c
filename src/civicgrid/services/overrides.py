"""What people decided against a suggestion: overrides recorded at registration and dispatch, listed, counted.

Training reads each finished case's final category and organisation, which are what people decided, so an
override is learnt from as soon as its case is finished; the override rows say who changed what, and when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from civicgrid.adapters.db.dispatch_control_repository import Override
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.cases import Case
from civicgrid.domain.dispatch_control import Choice, compare
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor, Role

READERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.LEADER, Role.SYSTEM})


class OverridesNotAllowed(DomainError):
    code = "not_allowed"
    message = N_("Only supervisors, leaders and administrators see the overrides of suggestions.")


def note_decision(u: UnitOfWork, case: Case, actor: Actor, at: datetime, *, dispatching: bool) -> None:
    """Compare a registration or dispatch with the case's stored suggestion; record an override if it differs.

    The system's own automatic dispatch follows the suggestion and is recorded as such by intake.
    """
    assert case.id is not None
    stored = u.control.suggestion(case.id)
    if stored is None or actor.role is Role.SYSTEM:
        return
    s = stored.suggestion
    choice = Choice(case.category_code, case.org_code, case.assignee_code)
    taken = compare(s.category_code, s.org_code, s.assignee_code, choice, dispatching=dispatching)
    if taken.overridden:
        u.control.add_override(
            case_id=case.id,
            at=at,
            action="dispatch" if dispatching else "register",
            actor=actor,
            suggested=s,
            chosen=(choice.category_code, choice.org_code if dispatching else None, choice.assignee_code),
        )
    if dispatching:
        u.control.mark_decided(case.id, taken, at)


def list_overrides(
    *,
    uow: Callable[[], UnitOfWork],
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Override], int]:
    """Overrides newest first, with their total (supervisors see those of their desk's areas)."""
    if actor.role not in READERS:
        raise OverridesNotAllowed()
    areas = actor.area_codes if actor.role is Role.SUPERVISOR else frozenset()
    with uow() as u:
        return u.control.overrides(since=since, until=until, area_codes=areas, limit=limit, offset=offset)


def acceptance(*, uow: Callable[[], UnitOfWork], since: datetime | None = None) -> dict[str, Any]:
    """How often suggestions were taken: counts and rates (null without decisions), automatic ones apart."""
    with uow() as u:
        return rates(u.control.acceptance(since))


def acceptance_by_model(*, uow: Callable[[], UnitOfWork]) -> dict[int | None, dict[str, Any]]:
    """The same per model version (None: suggestions made before any model was trained)."""
    with uow() as u:
        return {version: rates(n) for version, n in u.control.acceptance_by_model().items()}


def rates(n: dict[str, int]) -> dict[str, Any]:
    """Acceptance counts with their rates: whole suggestions, and category, organisation, worker apart.

    Only people's decisions count (automatic dispatches follow the suggestion by definition); the
    organisation and worker rates leave out suggestions for the street's sub-centre, which name neither.
    """

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        **n,
        "acceptance_rate": rate(n["taken"], n["decided"]),
        "category_rate": rate(n["category_taken"], n["decided"]),
        "org_rate": rate(n["org_taken"], n["org_decided"]),
        "assignee_rate": rate(n["assignee_taken"], n["org_decided"]),
    }
