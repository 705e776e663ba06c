"""Grid map use cases: check, import (all or nothing) and export."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import shapely

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.domain.geography import AreaSpec, Level, MapProblem, MapRejected, check_map
from civicgrid.domain.geojson import parse_feature_collection, to_feature_collection
from civicgrid.domain.roles import Actor


def check_map_data(data: object) -> tuple[list[AreaSpec], list[MapProblem]]:
    """Parse and check a GeoJSON map without touching any database."""
    areas, problems = parse_feature_collection(data)
    problems += check_map(areas)
    return areas, problems


def import_map(*, uow: Callable[[], UnitOfWork], data: object, actor: Actor, now: datetime) -> dict[str, int]:
    """Replace the stored grid map with ``data``, or refuse it whole and leave the database as it was."""
    areas, problems = check_map_data(data)
    if problems:
        raise MapRejected(problems)
    return import_areas(uow=uow, areas=areas, actor=actor, now=now)


def import_areas(
    *, uow: Callable[[], UnitOfWork], areas: list[AreaSpec], actor: Actor, now: datetime
) -> dict[str, int]:
    """Store already-checked areas in one transaction; micro-grids that cases point at must stay."""
    with uow() as u:
        kept = {a.code for a in areas if a.level is Level.MICROGRID}
        lost = sorted(u.areas.codes_in_use() - kept)
        if lost:
            shown = ", ".join(lost[:20]) + (" ..." if len(lost) > 20 else "")
            raise MapRejected(
                [
                    MapProblem.of(
                        "in_use",
                        lost,
                        N_("Micro-grids that cases are filed under are missing from the new map: {areas}."),
                        areas=shown,
                    )
                ]
            )
        u.areas.replace_all(areas)
        counts = dict(Counter(a.level.value for a in areas))
        u.accounts.audit(actor=actor, action="map.import", detail=counts, now=now)
        u.commit()
    return counts


def list_areas(
    *, uow: Callable[[], UnitOfWork], parent_code: str | None, level: Level | None
) -> list[dict[str, str | None]]:
    """Areas without boundaries: the children of ``parent_code``, or one level (the streets by default)."""
    if parent_code is None and level is None:
        level = Level.STREET
    with uow() as u:
        return u.areas.listing(parent_code=parent_code, level=level)


def export_map(
    *,
    uow: Callable[[], UnitOfWork],
    level: Level | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, object]:
    """The stored map (or one level of it) as a GeoJSON FeatureCollection; ``bbox`` keeps what it touches.

    A phone drawing the grids of the part of the district on its screen fetches a few dozen of the 540
    (``bbox`` = min_lon, min_lat, max_lon, max_lat) instead of all of them (58 KB gzipped in the demo).
    """
    with uow() as u:
        found = u.areas.all(level, bbox)  # the stored bounds first, then the exact shapes
    if bbox is not None:
        window = shapely.box(*bbox)
        found = [a for a in found if a.geometry.intersects(window)]
    return to_feature_collection(found)


class InvalidBoundingBox(InvalidInput):
    code = "invalid_bbox"
    message = N_("A bounding box is four numbers: min_lon,min_lat,max_lon,max_lat, west before east.")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """'116.5,35.3,116.7,35.5' as (min_lon, min_lat, max_lon, max_lat); InvalidBoundingBox otherwise."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise InvalidBoundingBox() from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidBoundingBox()
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidBoundingBox()
    return west, south, east, north


# Whole levels as served, per database and map version: building the 2,627 micro-grids' GeoJSON takes
# seconds and every case page and map asks for it; a map import bumps the version, which retires them.
_LEVEL_CACHE: dict[tuple[str, int, str], bytes] = {}


def level_geojson(*, uow: Callable[[], UnitOfWork], level: Level) -> tuple[int, bytes]:
    """One whole level of the map as GeoJSON bytes, with the map version they belong to (for ETags)."""
    with uow() as u:
        version = u.areas.map_version()
        key = (u.conn.engine.url.render_as_string(), version, level.value)
        cached = _LEVEL_CACHE.get(key)
        if cached is not None:
            return version, cached
        areas = u.areas.all(level)
    data = json.dumps(to_feature_collection(areas), ensure_ascii=False, separators=(",", ":")).encode()
    if len(_LEVEL_CACHE) >= 32:
        _LEVEL_CACHE.clear()
    _LEVEL_CACHE[key] = data
    return version, data
