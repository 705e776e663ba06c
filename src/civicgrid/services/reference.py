"""Reference data use cases: the shipped catalogue and the default time limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import mask_phone
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


def organisations(*, uow: Callable[[], UnitOfWork]) -> list[dict[str, Any]]:
    """Every organisation as a plain document."""
    with uow() as u:
        return [asdict(o) for o in u.reference.catalogue().organisations]


def categories(*, uow: Callable[[], UnitOfWork], search: str | None = None) -> list[dict[str, Any]]:
    """Categories (all, or those matching ``search``) with their time limit for each urgency."""
    with uow() as u:
        catalogue = u.reference.catalogue()
        limits = u.reference.time_limits()
    chosen = catalogue.search(search) if search and search.strip() else list(catalogue.categories)
    out = []
    for c in chosen:
        doc = asdict(c)
        doc["major_name_zh"] = catalogue.major(c.major).name_zh
        doc["major_name_en"] = catalogue.major(c.major).name_en
        doc["time_limits"] = {
            u.value: str(limits.get((c.code, u.value)) or default_limit(c.limit_class, u)) for u in Urgency
        }
        out.append(doc)
    return out


def workers(
    *, uow: Callable[[], UnitOfWork], grid_code: str | None = None, org_code: str | None = None
) -> list[dict[str, Any]]:
    """Grid workers with their grids; phones masked (the roster is not a phone book)."""
    with uow() as u:
        rows = u.reference.workers(grid_code=grid_code, org_code=org_code)
    for row in rows:
        row["phone"] = mask_phone(row["phone"])
    return rows
