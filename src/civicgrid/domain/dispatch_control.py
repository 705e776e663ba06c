"""Who decides a report: automatic dispatch per category, and what an operator changed of a suggestion (pure).

Each category has an automatic-dispatch mode: ``on`` with its own minimum confidence, ``off``, or
``default`` (the deployment-wide minimum, which may itself be off). Above the minimum the system
registers and dispatches the report as suggested; below it an operator decides, and whatever they choose
otherwise than suggested is an override: recorded, listed and learnt from (the final category is what
training reads).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from civicgrid.domain.duplicates import DuplicatePolicy
from civicgrid.domain.errors import N_, DomainError

AUTO_DISPATCHED = N_("Dispatched automatically as suggested: {reasons}")
AUTO_SUBCENTRE = N_("Registered automatically; nobody owns it, so the street's command sub-centre takes it")


class AutoMode(StrEnum):
    DEFAULT = "default"
    ON = "on"
    OFF = "off"


class InvalidSetting(DomainError):
    code = "invalid_setting"
    message = N_("{detail}")


@dataclass(frozen=True)
class CategorySettings:
    """An administrator's dispatch settings for one category; None: the deployment's default."""

    category_code: str
    auto_mode: AutoMode = AutoMode.DEFAULT
    auto_min_confidence: float | None = None
    duplicate_radius_m: float | None = None
    duplicate_window_days: float | None = None
    updated_at: datetime | None = None
    updated_by: str = ""

    def __post_init__(self) -> None:
        if self.auto_mode is AutoMode.ON and self.auto_min_confidence is None:
            raise InvalidSetting(detail=N_("Automatic dispatch needs a minimum confidence."))
        if self.auto_min_confidence is not None and not 0 <= self.auto_min_confidence <= 1:
            raise InvalidSetting(detail=N_("The minimum confidence must be between 0 and 1."))
        if self.duplicate_radius_m is not None and not 1 <= self.duplicate_radius_m <= 5000:
            raise InvalidSetting(detail=N_("The duplicate radius must be between 1 and 5,000 metres."))
        if self.duplicate_window_days is not None and not 0 < self.duplicate_window_days <= 365:
            raise InvalidSetting(detail=N_("The duplicate window must be between 0 and 365 days."))

    def threshold(self, default: float | None) -> float | None:
        """The minimum confidence for automatic dispatch of this category (None: an operator decides)."""
        if self.auto_mode is AutoMode.ON:
            return self.auto_min_confidence
        if self.auto_mode is AutoMode.OFF:
            return None
        return default


def thresholds(settings: dict[str, CategorySettings], default: float | None) -> dict[str, float | None]:
    """Category -> minimum confidence, for the categories that have their own setting."""
    return {code: s.threshold(default) for code, s in settings.items()}


def duplicate_policy(settings: dict[str, CategorySettings], base: DuplicatePolicy) -> DuplicatePolicy:
    """The duplicate policy with each category's own radius and time window where it has them."""
    radius = dict(base.radius_by_category)
    radius.update({c: s.duplicate_radius_m for c, s in settings.items() if s.duplicate_radius_m is not None})
    window = dict(base.window_by_category)
    window.update(
        {
            c: timedelta(days=s.duplicate_window_days)
            for c, s in settings.items()
            if s.duplicate_window_days is not None
        }
    )
    return replace(base, radius_by_category=radius, window_by_category=window)


@dataclass(frozen=True)
class Choice:
    """What a registration or dispatch decided: category, and for a dispatch organisation and worker."""

    category_code: str
    org_code: str | None = None
    assignee_code: str | None = None


@dataclass(frozen=True)
class Taken:
    """Which parts of a suggestion a decision kept (None: that decision did not choose this part)."""

    category: bool
    org: bool | None
    assignee: bool | None

    @property
    def overridden(self) -> bool:
        return not self.category or self.org is False or self.assignee is False


def compare(
    suggested_category: str,
    suggested_org: str | None,
    suggested_assignee: str | None,
    choice: Choice,
    *,
    dispatching: bool,
) -> Taken:
    """What of the suggestion a decision kept; a registration chooses only the category.

    A suggestion for the street's command sub-centre (no organisation) names nobody to keep: whichever
    organisation the operator picks then is their decision, not an override of one.
    """
    if not dispatching:
        return Taken(choice.category_code == suggested_category, None, None)
    org = None if suggested_org is None else choice.org_code == suggested_org
    assignee = None if suggested_org is None else choice.assignee_code == suggested_assignee
    return Taken(choice.category_code == suggested_category, org, assignee)
