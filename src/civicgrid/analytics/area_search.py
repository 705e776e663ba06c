"""Finding an area by what a caller says on the phone: its code, or part of its name.

The hotline desk types "东苑" or "D1121" and gets the micro-grids that match, each with the names of its
grid, community and street (so two "1号楼" in different communities can be told apart) and a point
inside it to file the case at.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas
from civicgrid.domain.geography import Level

MAX_RESULTS = 20


@dataclass(frozen=True)
class AreaHit:
    """One matching area: code, name, level, the names above it (nearest first) and a point inside."""

    code: str
    name: str
    level: str
    parents: tuple[str, ...]
    lon: float
    lat: float

    @property
    def label(self) -> str:
        """'Name · grid · community · street (CODE)': what a person picks from a list."""
        return " · ".join((self.name, *self.parents)) + f" ({self.code})"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_areas(
    conn: Connection, *, text: str, level: Level = Level.MICROGRID, limit: int = 10
) -> list[AreaHit]:
    """Areas of ``level`` whose code is ``text`` or starts with it, then those whose name contains it."""
    text = text.strip()
    if not text:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    like = _escape_like(text)
    exact = sa.func.lower(areas.c.code) == text.lower()
    by_code = sa.func.lower(areas.c.code).like(f"{like.lower()}%", escape="\\")
    by_name = areas.c.name.like(f"%{like}%", escape="\\")
    rank = sa.case((exact, 0), (by_code, 1), else_=2)
    q = (
        sa.select(areas.c.code, areas.c.name, areas.c.level, areas.c.parent_code, areas.c.geometry)
        .where(areas.c.level == level.value, sa.or_(by_code, by_name))
        .order_by(rank, sa.func.length(areas.c.name), areas.c.code)
        .limit(limit)
    )
    rows = list(conn.execute(q))
    parents = _ancestors(conn, {r.parent_code for r in rows if r.parent_code})
    hits = []
    for r in rows:
        point = shapely.geometry.shape(r.geometry).representative_point()
        hits.append(
            AreaHit(
                r.code, r.name, r.level, _chain(parents, r.parent_code), round(point.x, 6), round(point.y, 6)
            )
        )
    return hits


def _ancestors(conn: Connection, codes: set[str]) -> dict[str, tuple[str, str | None, str]]:
    """code -> (name, parent code, level) for the given areas and everything above them."""
    found: dict[str, tuple[str, str | None, str]] = {}
    todo = set(codes)
    for _ in range(len(Level)):  # the tree is at most this deep: bounded even on a broken map
        todo -= set(found)
        if not todo:
            break
        q = sa.select(areas.c.code, areas.c.name, areas.c.parent_code, areas.c.level).where(
            areas.c.code.in_(sorted(todo))
        )
        rows = list(conn.execute(q))
        found.update({r.code: (r.name, r.parent_code, r.level) for r in rows})
        todo = {r.parent_code for r in rows if r.parent_code}
    return found


def _chain(known: dict[str, tuple[str, str | None, str]], code: str | None) -> tuple[str, ...]:
    names = []
    for _ in range(len(Level)):
        if code is None or code not in known:
            break
        name, parent, level = known[code]
        if level == Level.DISTRICT.value:
            break
        names.append(name)
        code = parent
    return tuple(names)
