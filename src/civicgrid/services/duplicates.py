"""Finding open cases that a new report probably duplicates (shown to residents before they submit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.analytics.case_queries import scope_condition
from civicgrid.domain.access import CaseScope
from civicgrid.domain.catalogue import UnknownCategory
from civicgrid.domain.duplicates import DuplicatePolicy, Sighting, bounding_box, compare, is_duplicate

DEFAULT_POLICY = DuplicatePolicy()


@dataclass(frozen=True)
class Candidate:
    """An open case that may be the same problem, with how close it is."""

    number: str
    category_code: str
    distance_m: float
    days: float
    similarity: float
    score: float
    status: str
    description: str


def find_duplicates(
    *,
    uow: Callable[[], UnitOfWork],
    lon: float,
    lat: float,
    category_code: str,
    description: str,
    now: datetime,
    exclude_id: int | None = None,
    limit: int = 5,
    policy: DuplicatePolicy = DEFAULT_POLICY,
    scope: CaseScope | None = None,
) -> list[Candidate]:
    """Open cases of the same or a related category nearby and recent that score as duplicates, best first.

    Staff get only cases in their ``scope``; the public list (no scope) shows excerpts without contacts.
    """
    with uow() as u:
        majors = u.dispatch.category_majors()
        major = majors.get(category_code)
        if major is None:
            raise UnknownCategory(code=category_code)
        related = [code for code, m in majors.items() if m == major]
        # The box holds every point within the radius; the exact distance is checked when scoring.
        box = bounding_box(lon, lat, policy.radius_for(category_code))
        nearby = u.dispatch.open_cases_in_box(
            box,
            since=now - policy.window_for(category_code),
            category_codes=related,
            exclude_id=exclude_id,
            scope=scope_condition(scope) if scope is not None else None,
        )
    new = Sighting(category_code, major, lon, lat, now, description)
    found: list[Candidate] = []
    for case in nearby:
        old = Sighting(case.category_code, major, case.lon, case.lat, case.submitted_at, case.description)
        match = compare(new, old, policy)
        if match is not None and is_duplicate(match, policy):
            found.append(
                Candidate(
                    number=case.number,
                    category_code=case.category_code,
                    distance_m=round(match.distance_m, 1),
                    days=round(match.days, 2),
                    similarity=round(match.similarity, 3),
                    score=round(match.score, 3),
                    status=case.status,
                    description=case.description,
                )
            )
    found.sort(key=lambda c: (-c.score, c.distance_m))
    return found[:limit]
