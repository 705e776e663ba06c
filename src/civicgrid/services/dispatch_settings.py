"""Per-category dispatch settings: automatic dispatch above a confidence, the duplicate radius and window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.dispatch_control import AutoMode, CategorySettings, duplicate_policy
from civicgrid.domain.duplicates import DuplicatePolicy
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor, Role

EDITORS = frozenset({Role.ADMIN, Role.SYSTEM})
_KEEP: Any = object()  # "leave this setting as it is"


class SettingsNotAllowed(DomainError):
    code = "not_allowed"
    message = N_("Only administrators change dispatch settings.")


def category_settings(*, uow: Callable[[], UnitOfWork]) -> dict[str, CategorySettings]:
    """Categories with their own settings (the others follow the defaults)."""
    with uow() as u:
        return u.control.settings()


def effective_policy(*, uow: Callable[[], UnitOfWork], base: DuplicatePolicy) -> DuplicatePolicy:
    """The duplicate policy with every category's own radius and window."""
    return duplicate_policy(category_settings(uow=uow), base)


def change_settings(
    *,
    uow: Callable[[], UnitOfWork],
    actor: Actor,
    category_code: str,
    now: datetime,
    auto_mode: AutoMode | None = None,
    auto_min_confidence: float | None = None,
    duplicate_radius_m: float | Any | None = _KEEP,
    duplicate_window_days: float | Any | None = _KEEP,
) -> CategorySettings:
    """Change one category's settings (administrators); unnamed ones stay, None returns to the default."""
    if actor.role not in EDITORS:
        raise SettingsNotAllowed()
    with uow() as u:
        u.reference.category(category_code)
        current = u.control.settings().get(category_code) or CategorySettings(category_code)
        changes: dict[str, Any] = {"updated_at": now, "updated_by": actor.name or actor.role.value}
        if auto_mode is not None:
            changes["auto_mode"] = auto_mode
            changes["auto_min_confidence"] = auto_min_confidence if auto_mode is AutoMode.ON else None
        if duplicate_radius_m is not _KEEP:
            changes["duplicate_radius_m"] = duplicate_radius_m
        if duplicate_window_days is not _KEEP:
            changes["duplicate_window_days"] = duplicate_window_days
        new = replace(current, **changes)
        u.control.put_settings(new)
        u.accounts.audit(
            actor=actor,
            action="dispatch.settings",
            target=category_code,
            detail={
                "auto_mode": new.auto_mode.value,
                "auto_min_confidence": new.auto_min_confidence,
                "duplicate_radius_m": new.duplicate_radius_m,
                "duplicate_window_days": new.duplicate_window_days,
            },
            now=now,
        )
        u.commit()
    return new
