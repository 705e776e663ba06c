"""Test helpers shared by unit and integration tests (importable as ``support``)."""

from __future__ import annotations

from typing import Any

from shapely.geometry import box

from civicgrid.domain.geography import AreaSpec, Level

# A micro-grid here is 0.005 x 0.01 deg: about 450 m by 1.1 km near lat 35.4.
DISTRICT = box(116.60, 35.40, 116.62, 35.42)


def _halves(shape: Any, vertical: bool) -> list[Any]:
    x0, y0, x1, y1 = shape.bounds
    if vertical:
        return [box(x0, y0, (x0 + x1) / 2, y1), box((x0 + x1) / 2, y0, x1, y1)]
    return [box(x0, y0, x1, (y0 + y1) / 2), box(x0, (y0 + y1) / 2, x1, y1)]


def tiny_map() -> list[AreaSpec]:
    """1 district, 2 streets, 2 communities, 4 grids, 8 micro-grids, all boxes that tile exactly."""
    areas = [AreaSpec("D", "高新区", Level.DISTRICT, None, DISTRICT)]
    parents = areas[:]
    for level in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICROGRID):
        children = []
        for parent in parents:
            pieces = (
                [parent.geometry]
                if level is Level.COMMUNITY
                else _halves(parent.geometry, level.depth % 2 == 1)
            )
            for n, piece in enumerate(pieces, start=1):
                children.append(
                    AreaSpec(f"{parent.code}{n}", f"{parent.name}-{n}", level, parent.code, piece)
                )
        areas += children
        parents = children
    return areas
