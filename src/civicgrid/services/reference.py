"""Reference data use cases: the shipped catalogue and the default time limits."""

from __future__ import annotations

from collections.abc import Callable

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.catalogue import Urgency, load_catalogue
from civicgrid.domain.time_limits import default_limit


def seed_reference_data(*, uow: Callable[[], UnitOfWork]) -> dict[str, int]:
    """Add the shipped organisations and categories, and default time limits, where missing; keeps edits."""
    catalogue = load_catalogue()
    problems = catalogue.check()
    assert not problems, problems  # the shipped catalogue is checked by the test suite
    with uow() as u:
        u.reference.save_catalogue(catalogue)
        stored = u.reference.catalogue()
        u.reference.save_time_limits(
            {
                (c.code, urgency): default_limit(c.limit_class, urgency)
                for c in stored.categories
                for urgency in Urgency
            }
        )
        u.commit()
    return {"organisations": len(stored.organisations), "categories": len(stored.categories)}
