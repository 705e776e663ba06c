"""The grid map as GeoJSON (RFC 7946): read with every structural fault reported, written back losslessly.

A feature's properties are ``code``, ``name``, ``level`` (``district`` .. ``microgrid``, or 区 .. 微网格)
and ``parent_code`` (null or absent for the district). Coordinates go out rounded to 7 decimals (~1 cm),
which ``check_map``'s tolerance absorbs, so an exported map imports again unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, mapping

from civicgrid.domain.errors import N_
from civicgrid.domain.geography import LEVEL_NAMES_ZH, AreaSpec, Level, MapProblem, MapRejected, check_map

COORDINATE_DECIMALS = 7

_LEVEL_BY_TEXT = {level.value: level for level in Level} | {zh: level for level, zh in LEVEL_NAMES_ZH.items()}

# Old-style GeoJSON may declare a CRS; names for lon/lat on WGS84 or on CGCS2000 (China's datum, within
# centimetres of WGS84) pass, any other declared system is refused rather than guessed at.
_LONLAT_CRS_MARKERS = ("CRS84", "4326", "4490", "WGS84", "WGS 84")


_NOT_COLLECTION = N_("The file is not a GeoJSON FeatureCollection.")
_NO_FEATURES = N_("The FeatureCollection has no list of features.")
_FOREIGN_CRS = N_("The file declares the coordinate system {crs}; only WGS84 lon/lat is accepted.")
_NOT_FEATURE = N_("Feature {index} is not a GeoJSON Feature.")
_NO_PROPERTIES = N_("Feature {index} has no properties; code, name and level are required.")
_NO_PROPERTY = N_("Feature {index} has no usable '{property}' property.")
_BAD_LEVEL = N_("Feature {index} has the unknown level '{level}'; expected one of {levels}.")
_BAD_PARENT_CODE = N_("Feature {index} has a parent_code that is neither text nor a whole number.")
_BAD_GEOMETRY = N_("Feature {index} has no usable polygon geometry: {reason}.")
_BAD_KIND = N_("Feature {index} has a {shape} geometry, not a Polygon or MultiPolygon.")
# Why a geometry cannot be read: each a message of its own, so the report reads in the admin's language.
_NO_GEOMETRY = N_("no geometry")
_NO_POLYGONS = N_("a MultiPolygon needs a list of polygons")
_NO_RINGS = N_("a Polygon needs a list of rings")
_SHORT_RING = N_("a ring needs at least four positions")
_OPEN_RING = N_("a ring is not closed (its last position differs from its first)")
_NO_POSITION = N_("a position needs a longitude and a latitude")
_NOT_NUMBERS = N_("a position holds something other than numbers")
_UNBUILDABLE = N_("its rings do not make a polygon")
_LEVELS = ", ".join(_LEVEL_BY_TEXT)


class _Malformed(Exception):
    """A geometry the parser cannot read (its argument: one of the reasons above); stays in this module."""


class _WrongKind(_Malformed):
    """A geometry of a type other than Polygon and MultiPolygon (its argument: the type)."""


def parse_feature_collection(data: object) -> tuple[list[AreaSpec], list[MapProblem]]:
    """Areas read from a GeoJSON FeatureCollection, and every structural problem; never raises."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], [MapProblem.of("malformed", [], _NOT_COLLECTION)]
    features = data.get("features")
    if not isinstance(features, list):
        return [], [MapProblem.of("malformed", [], _NO_FEATURES)]
    problems = _crs_problems(data.get("crs"))
    areas: list[AreaSpec] = []
    for index, feature in enumerate(features, start=1):
        area, found = _parse_feature(index, feature)
        problems += found
        if area is not None:
            areas.append(area)
    return areas, problems


def read_map(data: object) -> list[AreaSpec]:
    """The areas of a GeoJSON map that passes every rule; otherwise raises ``MapRejected``."""
    areas, problems = parse_feature_collection(data)
    problems += check_map(areas)
    if problems:
        raise MapRejected(problems)
    return areas


def to_feature_collection(areas: Iterable[AreaSpec]) -> dict[str, Any]:
    """The areas as a GeoJSON FeatureCollection, exteriors counter-clockwise, coordinates at 7 decimals."""
    return {"type": "FeatureCollection", "features": [_feature(area) for area in areas]}


def _feature(area: AreaSpec) -> dict[str, Any]:
    oriented = shapely.orient_polygons(area.geometry)
    rounded = shapely.transform(oriented, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    properties = {
        "code": area.code,
        "name": area.name,
        "level": area.level.value,
        "parent_code": area.parent_code,
    }
    return {
        "type": "Feature",
        "id": area.code,
        "properties": properties,
        "geometry": _as_lists(mapping(rounded)),
    }


def _as_lists(value: Any) -> Any:
    """Shapely's mapping uses tuples; JSON readers and equality tests expect lists."""
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_as_lists(item) for item in value]
    return value


def _crs_problems(crs: object) -> list[MapProblem]:
    if crs is None:
        return []
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and any(marker in name.upper() for marker in _LONLAT_CRS_MARKERS):
        return []
    return [MapProblem.of("not_wgs84", [], _FOREIGN_CRS, crs=name if isinstance(name, str) else repr(crs))]


def _parse_feature(index: int, feature: object) -> tuple[AreaSpec | None, list[MapProblem]]:
    """The feature's area, or None and why not."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [MapProblem.of("malformed", [], _NOT_FEATURE, index=index)]
    props = feature.get("properties")
    if not isinstance(props, dict):
        return None, [MapProblem.of("missing_property", [], _NO_PROPERTIES, index=index)]
    code, name, parent_code = (
        _text(props.get("code")),
        _text(props.get("name")),
        _text(props.get("parent_code")),
    )
    raw_level, codes = props.get("level"), [code] if code else []
    level = _LEVEL_BY_TEXT.get(raw_level.strip().lower()) if isinstance(raw_level, str) else None
    problems = [
        MapProblem.of("missing_property", codes, _NO_PROPERTY, index=index, property=key)
        for key, value in (("code", code), ("name", name), ("level", raw_level))
        if value in (None, "")
    ]
    if raw_level not in (None, "") and level is None:
        problems.append(
            MapProblem.of("bad_level", codes, _BAD_LEVEL, index=index, level=raw_level, levels=_LEVELS)
        )
    if props.get("parent_code") not in (None, "") and parent_code is None:
        problems.append(MapProblem.of("missing_property", codes, _BAD_PARENT_CODE, index=index))
    try:
        geometry = _geometry(feature.get("geometry"))
    except _WrongKind as exc:
        problems.append(MapProblem.of("invalid_geometry", codes, _BAD_KIND, index=index, shape=exc))
        return None, problems
    except _Malformed as exc:
        problems.append(MapProblem.of("invalid_geometry", codes, _BAD_GEOMETRY, index=index, reason=exc))
        return None, problems
    if problems or code is None or name is None or level is None:
        return None, problems
    return AreaSpec(code, name, level, parent_code, geometry), []


def _text(value: object) -> str | None:
    """Text or a whole number as stripped text (codes often arrive as numbers); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def _geometry(raw: object) -> Polygon | MultiPolygon:
    if not isinstance(raw, dict):
        raise _Malformed(_NO_GEOMETRY)
    kind, coordinates = raw.get("type"), raw.get("coordinates")
    try:
        if kind == "Polygon":
            return _polygon(coordinates)
        if kind == "MultiPolygon":
            if not isinstance(coordinates, list) or not coordinates:
                raise _Malformed(_NO_POLYGONS)
            return MultiPolygon([_polygon(part) for part in coordinates])
    except (ShapelyError, ValueError, TypeError) as exc:
        raise _Malformed(_UNBUILDABLE) from exc
    raise _WrongKind(kind if isinstance(kind, str) else repr(kind))


def _polygon(rings: object) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise _Malformed(_NO_RINGS)
    shell, *holes = (_ring(ring) for ring in rings)
    return Polygon(shell, holes)


def _ring(ring: object) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _Malformed(_SHORT_RING)
    points = [_position(position) for position in ring]
    if points[0] != points[-1]:
        raise _Malformed(_OPEN_RING)
    return points


def _position(position: object) -> tuple[float, float]:
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise _Malformed(_NO_POSITION)
    lon, lat = position[0], position[1]
    if (
        isinstance(lon, bool)
        or isinstance(lat, bool)
        or not isinstance(lon, int | float)
        or not isinstance(lat, int | float)
    ):
        raise _Malformed(_NOT_NUMBERS)
    return float(lon), float(lat)
