"""The grid map in the database: areas with GeoJSON boundaries, and the map version that tracks changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicgrid.adapters.db.tables import areas, cases, meta
from civicgrid.domain.geography import AreaSpec, Level

MAP_VERSION = "map_version"


class AreaRepository:
    """Areas by code; replacing the map bumps a version so every process rebuilds its spatial index."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(
        self, level: Level | None = None, box: tuple[float, float, float, float] | None = None
    ) -> list[AreaSpec]:
        """Every area (or those of one level, or whose bounds meet ``box``: west, south, east, north)."""
        q = sa.select(areas).order_by(areas.c.code)
        if level is not None:
            q = q.where(areas.c.level == level.value)
        if box is not None:
            west, south, east, north = box
            q = q.where(
                areas.c.min_lon <= east,
                areas.c.max_lon >= west,
                areas.c.min_lat <= north,
                areas.c.max_lat >= south,
            )
        return [
            AreaSpec(
                code=r.code,
                name=r.name,
                level=Level(r.level),
                parent_code=r.parent_code,
                geometry=shapely.geometry.shape(r.geometry),
            )
            for r in self.conn.execute(q)
        ]

    def listing(self, *, parent_code: str | None, level: Level | None) -> list[dict[str, str | None]]:
        """Code, name, level and parent of areas (no boundaries): children of a parent, or one level."""
        q = sa.select(areas.c.code, areas.c.name, areas.c.level, areas.c.parent_code).order_by(areas.c.code)
        if parent_code is not None:
            q = q.where(areas.c.parent_code == parent_code)
        if level is not None:
            q = q.where(areas.c.level == level.value)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def names(self, codes: Sequence[str]) -> dict[str, str]:
        """Code -> name for the given codes."""
        q = sa.select(areas.c.code, areas.c.name).where(areas.c.code.in_(list(codes)))
        return {r.code: r.name for r in self.conn.execute(q)}

    def counts(self) -> dict[str, int]:
        """How many areas of each level."""
        q = sa.select(areas.c.level, sa.func.count()).group_by(areas.c.level)
        return {level: n for level, n in self.conn.execute(q)}

    def codes_in_use(self) -> set[str]:
        """Micro-grid codes that cases point at (they cannot disappear from the map)."""
        return set(self.conn.execute(sa.select(cases.c.microgrid_code).distinct()).scalars())

    def replace_all(self, specs: Sequence[AreaSpec]) -> None:
        """Swap the whole map for ``specs`` (inside the caller's transaction) and bump the map version."""
        now = datetime.now(UTC)
        self.conn.execute(sa.delete(areas))
        rows = []
        for s in specs:
            minx, miny, maxx, maxy = s.geometry.bounds
            rows.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "level": s.level.value,
                    "parent_code": s.parent_code,
                    "geometry": shapely.geometry.mapping(s.geometry),
                    "min_lon": minx,
                    "min_lat": miny,
                    "max_lon": maxx,
                    "max_lat": maxy,
                    "updated_at": now,
                }
            )
        if rows:
            self.conn.execute(sa.insert(areas), rows)
        self.bump_version()

    def map_version(self) -> int:
        """A counter that changes whenever the boundaries change."""
        v = self.conn.execute(sa.select(meta.c.value).where(meta.c.key == MAP_VERSION)).scalar()
        return int(v) if v is not None else 0

    def bump_version(self) -> None:
        version = self.map_version() + 1
        updated = self.conn.execute(
            sa.update(meta).where(meta.c.key == MAP_VERSION).values(value=str(version))
        )
        if updated.rowcount == 0:
            self.conn.execute(sa.insert(meta).values(key=MAP_VERSION, value=str(version)))
