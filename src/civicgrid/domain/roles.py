"""Who acts on a case: roles and the actor that carries one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The roles of DOMAIN.md, plus the system itself (deadline sweep, automatic dispatch)."""

    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    HANDLER = "handler"  # department handler 承办人
    OPERATOR = "operator"  # 受理员/派遣员
    SUPERVISOR = "supervisor"  # 值班长
    LEADER = "leader"
    ADMIN = "admin"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.GRID_WORKER, Role.HANDLER, Role.OPERATOR, Role.SUPERVISOR, Role.LEADER})
DESK_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.SYSTEM})


@dataclass(frozen=True)
class Actor:
    """A person (or the system) acting on a case, with what their role is scoped to."""

    role: Role
    id: int | None = None
    name: str = ""
    worker_code: str | None = None  # grid workers: their own code
    org_code: str | None = None  # handlers and professional grid workers: their organisation
    area_codes: frozenset[str] = field(
        default_factory=frozenset
    )  # grids a worker serves, or areas a desk covers

    @classmethod
    def system(cls) -> Actor:
        """The actor of automatic steps (sweep, auto-dispatch)."""
        return cls(role=Role.SYSTEM, name="system")
