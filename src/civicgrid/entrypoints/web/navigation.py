"""Each role's menu: the pages it works in, in the order of its day (paths are the pages' contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from civicgrid.domain.roles import Role
from civicgrid.i18n import N_

if TYPE_CHECKING:
    from civicgrid.entrypoints.api.deps import Caller


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str  # a message id, translated by the template
    active: bool = False


RESIDENT_MENU = ((N_("Report a problem"), "/report"), (N_("Track my request"), "/track"))

MENUS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.RESIDENT: RESIDENT_MENU,
    Role.OPERATOR: (
        (N_("Phone intake"), "/desk/intake"),
        (N_("Queue"), "/desk/queue"),
        (N_("Cases"), "/cases"),
        (N_("Command centre"), "/command"),
    ),
    Role.GRID_WORKER: (
        (N_("My tasks"), "/field/tasks"),
        (N_("Patrol report"), "/field/patrol"),
        (N_("My grid"), "/field/grid"),
    ),
    Role.HANDLER: ((N_("Department queue"), "/dept/queue"), (N_("Cases"), "/cases")),
    Role.SUPERVISOR: (
        (N_("Approvals"), "/supervisor"),
        (N_("Overdue"), "/supervisor/overdue"),
        (N_("Escalations"), "/supervisor/escalations"),
        (N_("Cases"), "/cases"),
        (N_("Command centre"), "/command"),
    ),
    Role.LEADER: (
        (N_("Command centre"), "/command"),
        (N_("Wall screen"), "/command/wall"),
        (N_("Cases"), "/cases"),
    ),
    Role.ADMIN: (
        (N_("Administration"), "/admin"),
        (N_("Grid map"), "/admin/map"),
        (N_("Accounts"), "/admin/users"),
        (N_("Audit log"), "/admin/audit"),
    ),
}


def home_of(role: Role) -> str:
    """The first page of a role's day."""
    return MENUS.get(role, RESIDENT_MENU)[0][1]


def menu_for(caller: Caller, path: str) -> list[MenuItem]:
    """The caller's menu with the current page marked (the longest matching prefix wins)."""
    items = MENUS.get(caller.actor.role, RESIDENT_MENU) if caller.signed_in else RESIDENT_MENU
    best = max(
        (href for _, href in items if path == href or path.startswith(href + "/")), key=len, default=""
    )
    return [MenuItem(href=href, label=label, active=href == best) for label, href in items]


# Codes that templates show by label (``_(role)``, ``_(case.urgency)``): marked here so Babel extracts them.
CODE_LABELS = (
    N_("anonymous"),
    N_("resident"),
    N_("grid_worker"),
    N_("handler"),
    N_("operator"),
    N_("supervisor"),
    N_("leader"),
    N_("admin"),
    N_("system"),
    N_("normal"),
    N_("urgent"),
    N_("emergency"),
)
