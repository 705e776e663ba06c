"""Names for the codes a case list shows (areas, categories, organisations, workers), in one query each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas, categories, organisations, time_limits, workers

AREA_KEYS = ("street_code", "community_code", "grid_code", "microgrid_code")


@dataclass(frozen=True)
class Labels:
    """Code -> display name, per kind; a code without a name shows as itself."""

    areas: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)
    time_limits: dict[tuple[str, str], str] = field(
        default_factory=dict
    )  # (category, urgency) -> "7d working"

    def area(self, code: str | None) -> str:
        """The area's name (or its code)."""
        return self.areas.get(code or "", code or "")

    def category(self, code: str | None) -> str:
        """The category's name (or its code)."""
        return self.categories.get(code or "", code or "")

    def organisation(self, code: str | None) -> str:
        """The organisation's short name (or its code)."""
        return self.organisations.get(code or "", code or "")

    def worker(self, code: str | None) -> str:
        """The worker's name (or its code)."""
        return self.workers.get(code or "", code or "")


def labels_for(conn: Connection, rows: Iterable[dict[str, Any]], *, english: bool) -> Labels:
    """The names of every code the rows mention, in the reader's language where the data has both."""
    rows = list(rows)
    area_codes = {r[k] for r in rows for k in AREA_KEYS if r.get(k)}
    cat_codes = {r["category_code"] for r in rows if r.get("category_code")}
    org_codes = {r["org_code"] for r in rows if r.get("org_code")}
    worker_codes = {r["assignee_code"] for r in rows if r.get("assignee_code")}
    out = Labels()
    if area_codes:
        q = sa.select(areas.c.code, areas.c.name).where(areas.c.code.in_(sorted(area_codes)))
        out.areas.update({c: n for c, n in conn.execute(q)})
    if cat_codes:
        name = categories.c.name_en if english else categories.c.name_zh
        q = sa.select(categories.c.code, name).where(categories.c.code.in_(sorted(cat_codes)))
        out.categories.update({c: n for c, n in conn.execute(q)})
    if org_codes:
        name = organisations.c.short_name_en if english else organisations.c.short_name_zh
        q = sa.select(organisations.c.code, name).where(organisations.c.code.in_(sorted(org_codes)))
        out.organisations.update({c: n for c, n in conn.execute(q)})
    if worker_codes:
        q = sa.select(workers.c.code, workers.c.name).where(workers.c.code.in_(sorted(worker_codes)))
        out.workers.update({c: n for c, n in conn.execute(q)})
    if cat_codes:
        q = sa.select(time_limits.c.category_code, time_limits.c.urgency, time_limits.c.limit).where(
            time_limits.c.category_code.in_(sorted(cat_codes))
        )
        out.time_limits.update({(str(r[0]), str(r[1])): str(r[2]) for r in conn.execute(q)})
    return out
