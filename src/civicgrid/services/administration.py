"""The administrator's edits of reference data: organisations, grid workers, categories and time limits.

Each is one unit of work, refused for anyone but an administrator, and written to the audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.administration import (
    CannotDisableWithOpenWork,
    CategoryEdit,
    OrganisationEdit,
    WorkerEdit,
    check_category,
    check_organisation,
    check_worker,
)
from civicgrid.domain.errors import NotFound
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Actor
from civicgrid.services.accounts import UowFactory, require_admin


def update_organisation(
    *, uow: UowFactory, actor: Actor, edit: OrganisationEdit, now: datetime, client: str | None = None
) -> dict[str, Any]:
    """Rename a department or utility unit, or make it (in)active; one that holds open cases stays active."""
    require_admin(actor)
    edit = check_organisation(edit)
    with uow() as u:
        before = u.reference.organisation_row(edit.code)
        if before is None:
            raise NotFound(what=edit.code)
        if before["active"] and not edit.active:
            held = u.cases.open_count(org_code=edit.code)
            if held:
                raise CannotDisableWithOpenWork(what=before["short_name_zh"], count=held)
        values = {k: v for k, v in asdict(edit).items() if k != "code"}
        u.reference.update_organisation(edit.code, values)
        _audit(u, actor, "organisation.update", edit.code, before, values, client, now)
        u.commit()
        after = u.reference.organisation_row(edit.code)
    assert after is not None
    return after


def save_worker(
    *, uow: UowFactory, actor: Actor, edit: WorkerEdit, now: datetime, client: str | None = None
) -> dict[str, Any]:
    """Add a grid worker or change one (name, phone, kind, organisation, grids, active)."""
    require_admin(actor)
    with uow() as u:
        grids = {str(a["code"]) for a in u.areas.listing(parent_code=None, level=Level.GRID)}
        edit = check_worker(edit, organisations=u.reference.organisation_codes(), grids=grids)
        before = u.reference.worker_row(edit.code)
        if before is not None and before["active"] and not edit.active:
            held = u.cases.open_count(assignee_code=edit.code)
            if held:
                raise CannotDisableWithOpenWork(what=before["name"], count=held)
        values = {
            "code": edit.code,
            "name": edit.name,
            "phone": edit.phone,
            "kind": edit.kind,
            "org_code": edit.org_code,
            "active": edit.active,
        }
        u.reference.save_worker(values, edit.grid_codes)
        action = "worker.update" if before else "worker.create"
        # Phones stay out of the audit detail: the log is read by more people than the roster.
        shown = {k: v for k, v in values.items() if k != "phone"} | {"grid_codes": list(edit.grid_codes)}
        previous = {k: v for k, v in (before or {}).items() if k != "phone"}
        _audit(u, actor, action, edit.code, previous, shown, client, now)
        u.commit()
        after = u.reference.worker_row(edit.code)
    assert after is not None
    return after


def update_category(
    *, uow: UowFactory, actor: Actor, edit: CategoryEdit, now: datetime, client: str | None = None
) -> dict[str, Any]:
    """Change a category's department, anonymity, activity and its time limit for each urgency."""
    require_admin(actor)
    with uow() as u:
        before = u.reference.category_row(edit.code)
        if before is None:
            raise NotFound(what=edit.code)
        limits = check_category(edit, organisations=u.reference.organisation_codes())
        values = {
            "department": edit.department,
            "anonymous_allowed": edit.anonymous_allowed,
            "active": edit.active,
        }
        u.reference.update_category(edit.code, values)
        u.reference.save_time_limits({(edit.code, k): v for k, v in limits.items()}, replace=True)
        shown = values | {"time_limits": {k.value: str(v) for k, v in limits.items()}}
        previous = {k: before[k] for k in values}
        _audit(u, actor, "category.update", edit.code, previous, shown, client, now)
        u.commit()
        after = u.reference.category_row(edit.code)
    assert after is not None
    return after


def _audit(
    u: UnitOfWork,
    actor: Actor,
    action: str,
    target: str,
    before: dict[str, Any],
    after: dict[str, Any],
    client: str | None,
    now: datetime,
) -> None:
    changed = {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}
    u.accounts.audit(actor=actor, action=action, target=target, detail=changed, client=client, now=now)
