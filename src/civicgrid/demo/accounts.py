"""The demo district's accounts: one per role, with fixed passwords printed in the README.

These passwords are public knowledge: a demo database must never be exposed as a real service.

| user name  | role        | password                | scope                                    |
|------------|-------------|-------------------------|------------------------------------------|
| operator   | operator    | demo-operator-2026      | the whole district                       |
| supervisor | supervisor  | demo-supervisor-2026    | the whole district                       |
| leader     | leader      | demo-leader-2026        | reads everything                         |
| admin      | admin       | demo-admin-2026         | accounts and settings                    |
| worker     | grid_worker | demo-worker-2026        | full-time worker F0001 and its grid      |
| handler    | handler     | demo-handler-2026       | urban management (chengguan) 城管执法     |
| resident   | resident    | demo-resident-2026      | their own requests                       |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from civicgrid.demo.people import WorkerSpec
from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.catalogue import Catalogue
from civicgrid.domain.errors import NotFound
from civicgrid.domain.roles import Role

DEMO_WORKER = "F0001"
DEMO_HANDLER_ORG = "chengguan"


DEMO_USERNAMES = (
    ("operator", Role.OPERATOR),
    ("supervisor", Role.SUPERVISOR),
    ("leader", Role.LEADER),
    ("admin", Role.ADMIN),
    ("worker", Role.GRID_WORKER),
    ("handler", Role.HANDLER),
    ("resident", Role.RESIDENT),
)


def demo_password(username: str) -> str:
    """The documented demo password of a demo user name."""
    return f"demo-{username}-2026"


def demo_accounts(people: Sequence[WorkerSpec], catalogue: Catalogue) -> list[tuple[UserSpec, str]]:
    """The demo accounts with their passwords; the grid worker is F0001 of ``people``, bound to its grid."""
    worker = next((p for p in people if p.code == DEMO_WORKER), None)
    if worker is None:
        raise NotFound(what=DEMO_WORKER)
    org = catalogue.organisation(DEMO_HANDLER_ORG)
    names = {
        "operator": "王受理（演示）",
        "supervisor": "李值班长（演示）",
        "leader": "赵主任（演示）",
        "admin": "系统管理员（演示）",
        "worker": f"{worker.name}（演示）",
        "handler": f"{org.short_name_zh}承办人（演示）",
        "resident": "陈居民（演示）",
    }
    scopes: dict[str, dict[str, Any]] = {
        "worker": {"worker_code": worker.code, "area_codes": frozenset(worker.grid_codes)},
        "handler": {"org_code": org.code},
    }
    specs = [UserSpec(name, role, names[name], **scopes.get(name, {})) for name, role in DEMO_USERNAMES]
    return [(spec, demo_password(spec.username)) for spec in specs]
