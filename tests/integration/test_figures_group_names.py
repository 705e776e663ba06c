"""Group names of many areas (every micro-grid of a district) come from one read, the same as a few."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from civicgrid.adapters.db.tables import areas
from civicgrid.analytics.figures import group_names

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def test_names_of_more_than_one_chunk_of_areas_equal_those_asked_one_by_one(engine: Engine) -> None:
    rows = [
        {
            "code": f"M{i:04d}",
            "name": f"微网格{i}",
            "level": "microgrid",
            "parent_code": None,
            "geometry": SQUARE,
            "min_lon": 0.0,
            "min_lat": 0.0,
            "max_lon": 1.0,
            "max_lat": 1.0,
            "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for i in range(1200)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(areas), rows)
    wanted = [f"M{i:04d}" for i in range(0, 1200, 2)] + ["M9999"]  # 601 keys, one not on the map
    with engine.connect() as conn:
        many = group_names(conn, "microgrid", wanted)
        few = {
            k: v
            for part in (wanted[:300], wanted[300:])
            for k, v in group_names(conn, "microgrid", part).items()
        }
    assert len(many) == 600 and "M9999" not in many
    assert many == few
    assert many["M0002"] == "微网格2"
