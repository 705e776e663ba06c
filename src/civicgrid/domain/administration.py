"""Rules for what an administrator edits: organisations, grid workers, categories and their time limits.

Pure checks: the services look up what exists (organisations, grids) and pass it in.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from civicgrid.domain.accounts import check_name
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import N_, DomainError, InvalidInput

WORKER_KINDS = ("fulltime", "professional")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    message = N_("The phone number is not valid: digits, spaces or dashes, 6 to 20 characters.")


class InvalidCode(InvalidInput):
    code = "invalid_code"
    message = N_("A code is 1 to 32 letters, digits, '-' or '_'.")


class UnknownGrids(InvalidInput):
    code = "unknown_grids"
    message = N_("These are not grids of the map: {codes}.")


class WorkerNeedsOrganisation(InvalidInput):
    code = "worker_needs_organisation"
    message = N_("A professional grid worker belongs to a department or utility; a full-time one does not.")


class WorkerNeedsGrid(InvalidInput):
    code = "worker_needs_grid"
    message = N_("An active grid worker serves at least one grid.")


class UnknownOrganisationCode(InvalidInput):
    code = "unknown_organisation"
    message = N_("There is no active department or utility with the code {code}.")


class CannotDisableWithOpenWork(DomainError):
    code = "has_open_work"
    message = N_("{what} still holds {count} open cases; reassign them first.")


@dataclass(frozen=True)
class WorkerEdit:
    """A grid worker as the administrator typed it (a new one, or the new state of an existing one)."""

    code: str
    name: str
    phone: str
    kind: str
    org_code: str | None
    grid_codes: tuple[str, ...]
    active: bool = True


def check_phone(phone: str) -> str:
    """A phone number, stripped; InvalidPhone otherwise."""
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise InvalidPhone()
    return phone


def check_code(code: str) -> str:
    """An identifier code, stripped; InvalidCode otherwise."""
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidCode()
    return code


def check_worker(edit: WorkerEdit, *, organisations: Collection[str], grids: Collection[str]) -> WorkerEdit:
    """The worker, cleaned, or the first rule it breaks."""
    if edit.kind not in WORKER_KINDS:
        raise InvalidInput(detail="kind")
    org = (edit.org_code or "").strip() or None
    if (edit.kind == "professional") != (org is not None):
        raise WorkerNeedsOrganisation()
    if org is not None and org not in organisations:
        raise UnknownOrganisationCode(code=org)
    codes = tuple(sorted({g.strip() for g in edit.grid_codes if g.strip()}))
    unknown = [g for g in codes if g not in grids]
    if unknown:
        raise UnknownGrids(codes=", ".join(unknown[:10]))
    if edit.active and not codes:
        raise WorkerNeedsGrid()
    return WorkerEdit(
        code=check_code(edit.code),
        name=check_name(edit.name),
        phone=check_phone(edit.phone),
        kind=edit.kind,
        org_code=org,
        grid_codes=codes,
        active=edit.active,
    )


@dataclass(frozen=True)
class OrganisationEdit:
    code: str
    name_zh: str
    short_name_zh: str
    name_en: str
    short_name_en: str
    active: bool


def check_organisation(edit: OrganisationEdit) -> OrganisationEdit:
    """Names present and not too long."""
    return OrganisationEdit(
        code=edit.code,
        name_zh=check_name(edit.name_zh, max_length=200),
        short_name_zh=check_name(edit.short_name_zh),
        name_en=check_name(edit.name_en, max_length=200),
        short_name_en=check_name(edit.short_name_en),
        active=edit.active,
    )


@dataclass(frozen=True)
class CategoryEdit:
    code: str
    department: str
    anonymous_allowed: bool
    active: bool
    time_limits: Mapping[str, str]  # urgency -> "7d working", "2h natural", ...


def check_category(edit: CategoryEdit, *, organisations: Collection[str]) -> dict[Urgency, TimeLimit]:
    """The parsed time limits of a category edit (InvalidTimeLimit names the bad one)."""
    if edit.department not in organisations:
        raise UnknownOrganisationCode(code=edit.department)
    limits: dict[Urgency, TimeLimit] = {}
    for urgency in Urgency:
        text = (edit.time_limits.get(urgency.value) or "").strip()
        if text:
            limits[urgency] = TimeLimit.parse(text)
    return limits
