"""Who may see which case, and how much of the reporter they may see.

One rule set for every door (API, pages, exports, Open311): the read side turns ``CaseScope`` into a
query filter, and ``can_see`` checks a single loaded case the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.domain.case_types import AreaChain, Reporter
from civicgrid.domain.roles import Actor, Role

# Roles that contact the reporter as part of their work and see the phone in full.
_SEES_REPORTER = frozenset({Role.OPERATOR, Role.SUPERVISOR})


@dataclass(frozen=True)
class CaseScope:
    """The cases an actor may see: everything, or those matching any of the listed conditions."""

    everything: bool = False
    area_codes: frozenset[str] = frozenset()  # any level: street, community, grid or micro-grid codes
    worker_code: str | None = None  # cases assigned to this worker
    org_code: str | None = None  # cases sent to this organisation
    reporter_user_id: int | None = None  # a signed-in resident's own reports

    @property
    def nothing(self) -> bool:
        """No case at all."""
        return not (
            self.everything
            or self.area_codes
            or self.worker_code
            or self.org_code
            or self.reporter_user_id is not None
        )


def scope_of(actor: Actor) -> CaseScope:
    """The case scope of an actor's role and assignment."""
    if actor.role in (Role.LEADER, Role.SYSTEM):
        return CaseScope(everything=True)
    if actor.role in (Role.OPERATOR, Role.SUPERVISOR):
        # A desk with no areas set serves the whole district (the district command centre).
        return CaseScope(everything=not actor.area_codes, area_codes=actor.area_codes)
    if actor.role is Role.GRID_WORKER:
        return CaseScope(area_codes=actor.area_codes, worker_code=actor.worker_code, org_code=None)
    if actor.role is Role.HANDLER:
        return CaseScope(org_code=actor.org_code)
    if actor.role is Role.RESIDENT:
        return CaseScope(reporter_user_id=actor.id)
    return CaseScope()  # administrators configure the system; they do not read case files


def can_see(
    actor: Actor,
    *,
    areas: AreaChain,
    org_code: str | None,
    assignee_code: str | None,
    reporter_user_id: int | None,
) -> bool:
    """Whether ``actor`` may open a case with these owners."""
    scope = scope_of(actor)
    if scope.everything:
        return True
    chain = {areas.microgrid, areas.grid, areas.community, areas.street}
    return bool(
        (scope.area_codes & chain)
        or (scope.worker_code is not None and scope.worker_code == assignee_code)
        or (scope.org_code is not None and scope.org_code == org_code)
        or (scope.reporter_user_id is not None and scope.reporter_user_id == reporter_user_id)
    )


def sees_reporter_in_full(actor: Actor, *, assignee_code: str | None, org_code: str | None) -> bool:
    """Operators and supervisors call back; the assignee may need to reach the reporter; others see masks."""
    if actor.role in _SEES_REPORTER:
        return True
    if actor.role is Role.GRID_WORKER:
        return actor.worker_code is not None and actor.worker_code == assignee_code
    if actor.role is Role.HANDLER:
        return actor.org_code is not None and actor.org_code == org_code
    return False


def reporter_seen_by(
    actor: Actor, reporter: Reporter, *, assignee_code: str | None, org_code: str | None
) -> Reporter:
    """The reporter as ``actor`` sees them on a case held by ``org_code`` and ``assignee_code``."""
    full = sees_reporter_in_full(actor, assignee_code=assignee_code, org_code=org_code)
    return reporter if full else reporter.masked()
