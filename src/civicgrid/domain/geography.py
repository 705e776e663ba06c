"""The grid map (网格地图): a strict hierarchy of areas, and the rules a map must keep to be accepted.

District > street > community > grid > micro-grid. Every area is a WGS84 lon/lat polygon; children lie
inside their parent, siblings do not overlap and each level's children cover their parent, so the
micro-grids cover the district. ``check_map`` reports every broken rule at once, naming the areas.
GeoJSON in and out lives in ``civicgrid.domain.geojson``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from civicgrid.domain.errors import N_, DomainError


class Level(StrEnum):
    """One rung of the hierarchy, from the district root down to the micro-grid."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    MICROGRID = "microgrid"

    @property
    def depth(self) -> int:
        """0 for the district, 4 for the micro-grid."""
        return _LEVELS.index(self)

    @property
    def parent_level(self) -> Level | None:
        """The level one rung up, None for the district."""
        return _LEVELS[self.depth - 1] if self.depth > 0 else None

    @property
    def child_level(self) -> Level | None:
        """The level one rung down, None for the micro-grid."""
        return _LEVELS[self.depth + 1] if self.depth + 1 < len(_LEVELS) else None


_LEVELS: tuple[Level, ...] = tuple(Level)

LEVEL_NAMES_ZH: MappingProxyType[Level, str] = MappingProxyType(
    {
        Level.DISTRICT: "区",
        Level.STREET: "街道",
        Level.COMMUNITY: "社区",
        Level.GRID: "网格",
        Level.MICROGRID: "微网格",
    }
)

# English level words for messages, marked so the edge can translate them like any other text.
LEVEL_LABELS: MappingProxyType[Level, str] = MappingProxyType(
    {
        Level.DISTRICT: N_("district"),
        Level.STREET: N_("street"),
        Level.COMMUNITY: N_("community"),
        Level.GRID: N_("grid"),
        Level.MICROGRID: N_("micro-grid"),
    }
)


@dataclass(frozen=True)
class AreaSpec:
    """One area of the map as imported or generated: not yet stored, not yet trusted."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    geometry: Polygon | MultiPolygon

    @property
    def label(self) -> str:
        """Code and name, the way problems name an area."""
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class MapProblem:
    """One broken rule. ``kind`` is a stable machine code; ``detail`` is English naming the areas.

    ``template`` and ``params`` let the edge translate ``detail`` (``translate(template, **params)``).
    """

    kind: str
    codes: tuple[str, ...]
    detail: str
    template: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, kind: str, codes: Sequence[str], template: str, **params: object) -> MapProblem:
        """Build a problem, rendering its English detail from the template."""
        texts = {key: str(value) for key, value in params.items()}
        return cls(kind, tuple(codes), template.format(**texts), template, tuple(sorted(texts.items())))


PROBLEM_KINDS = frozenset(
    {
        "malformed", "missing_property", "bad_level", "invalid_geometry", "not_wgs84", "duplicate_code",
        "missing_root", "multiple_roots", "missing_parent", "unknown_parent", "wrong_parent_level",
        "outside_parent", "overlap", "gap",
    }
)  # fmt: skip
# What each kind of problem is called on the import report (translated at the edge).
PROBLEM_LABELS = {
    "malformed": N_("Unreadable feature"),
    "missing_property": N_("Missing property"),
    "bad_level": N_("Unknown level"),
    "invalid_geometry": N_("Invalid boundary"),
    "not_wgs84": N_("Not WGS84 lon/lat"),
    "duplicate_code": N_("Code used twice"),
    "missing_root": N_("No district"),
    "multiple_roots": N_("More than one district"),
    "missing_parent": N_("No parent area"),
    "unknown_parent": N_("Unknown parent area"),
    "wrong_parent_level": N_("Parent at the wrong level"),
    "outside_parent": N_("Outside its parent"),
    "overlap": N_("Overlap"),
    "gap": N_("Gap"),
}


# Float noise tolerance. Shared edges that went through rounding (e.g. GeoJSON at 7 decimals, ~1 cm)
# leave slivers along them; a piece of overlap, gap or overhang counts only if it is both larger than
# 1 m² and wider than 10 cm (mean width = 2 x area / perimeter). Metres come from a local equirectangular
# scale at the piece's latitude: ample for a district, where the error is far below the tolerance.
MIN_AREA_M2 = 1.0
MIN_WIDTH_M = 0.1
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_AT_EQUATOR = 111_320.0


def noticeable_area_m2(geometry: Any) -> float:
    """Square metres of ``geometry`` left once slivers of float noise are set aside (0.0 if all noise)."""
    parts = shapely.get_parts(geometry)
    parts = parts[shapely.area(parts) > 0]
    if len(parts) == 0:
        return 0.0
    lat = np.radians(shapely.get_coordinates(shapely.centroid(parts))[:, 1])
    sq_m_per_sq_deg = _M_PER_DEG_LAT * _M_PER_DEG_LON_AT_EQUATOR * np.cos(lat)
    area = shapely.area(parts) * sq_m_per_sq_deg
    perimeter = shapely.length(parts) * np.sqrt(sq_m_per_sq_deg)
    keep = (area > MIN_AREA_M2) & (2 * area / perimeter > MIN_WIDTH_M)
    return float(area[keep].sum())


class MapRejected(DomainError):
    """A map import refused; ``problems`` lists every broken rule."""

    code = "map_rejected"
    message = N_("The map was refused: {count} problems found.")

    def __init__(self, problems: Sequence[MapProblem]) -> None:
        self.problems: tuple[MapProblem, ...] = tuple(problems)
        super().__init__(count=len(self.problems))


# The English templates of MapProblem.detail, one place for translators; {area} etc. are "code name".
_DUPLICATE = N_("The code {code} is used by {count} areas: {names}.")
_NO_ROOT = N_("The map has no district; exactly one area must be the district.")
_ROOTS = N_("The map has {count} districts ({areas}); exactly one is allowed.")
_NO_PARENT = N_("{area} is a {level} but names no parent area.")
_UNKNOWN_PARENT = N_("{area} names the parent {parent_code}, which is not in the map.")
_ROOT_WITH_PARENT = N_("{area} is the district, which has no parent, but names the parent {parent_code}.")
_WRONG_PARENT = N_("{area} is a {level}, so its parent must be a {expected}, but {parent} is a {actual}.")
_INVALID = N_("{area} has an invalid boundary: {reason}.")
_INVALID_AT = N_("{area} has an invalid boundary: {reason} near {point} (lon lat).")
_NOT_POLYGON = N_("it is not a polygon")
_EMPTY = N_("it is empty")
_NOT_A_NUMBER = N_("a coordinate is not a number")
# GEOS's reasons (shapely.is_valid_reason: 'Self-intersection[116.3 39.9]'), said for the admin.
GEOS_REASONS = {
    "Self-intersection": N_("the boundary crosses itself"),
    "Ring Self-intersection": N_("a ring touches itself"),
    "Too few points in geometry component": N_("a ring has too few distinct points"),
    "Hole lies outside shell": N_("a hole lies outside the outer ring"),
    "Nested holes": N_("a hole lies inside another hole"),
    "Interior is disconnected": N_("holes cut the inside into pieces"),
    "Nested shells": N_("one part lies inside another"),
    "Duplicate Rings": N_("a ring appears twice"),
    "Invalid Coordinate": N_("a coordinate is invalid"),
    "Ring is not closed": N_("a ring is not closed"),
}
_GEOS_REASON = re.compile(r"(?P<reason>[^\[]+)(?:\[(?P<point>[^\]]*)\])?")
_NOT_WGS84 = N_("{area} has coordinates outside WGS84 lon/lat ({bounds}); projected, or lon/lat swapped?")
_OUTSIDE = N_("{area} lies partly outside its parent {parent}: about {size} m² outside.")
_OVERLAP = N_("{area} and {other} overlap by about {size} m².")
_CHILDLESS = N_("{parent} has no child areas, so the micro-grids do not cover it.")
_GAP = N_("About {size} m² of {parent} is covered by none of its child areas.")


def check_map(areas: Sequence[AreaSpec]) -> list[MapProblem]:
    """Every rule the map breaks; an empty list means the map can be accepted."""
    first: dict[str, AreaSpec] = {}
    for area in areas:
        first.setdefault(area.code, area)  # a duplicate is reported once; the rules use the first one
    problems = _duplicates(areas) + _roots(list(first.values()))
    children, parent_problems = _hierarchy(first)
    problems += parent_problems
    usable: set[str] = set()
    for area in first.values():
        found = _geometry_problems(area)
        problems += found
        if not found:
            usable.add(area.code)
    # Geometry checks only compare sound shapes, so one broken polygon is one problem, not a cascade.
    families = [
        (first[p], [c for c in kids if c.code in usable]) for p, kids in children.items() if p in usable
    ]
    problems += _outside_parents(families)
    problems += _overlaps(families)
    problems += _gaps(first, children, usable)
    return problems


def _duplicates(areas: Sequence[AreaSpec]) -> list[MapProblem]:
    counts = Counter(area.code for area in areas)
    return [
        MapProblem.of("duplicate_code", [code], _DUPLICATE, code=code, count=count, names=_names(areas, code))
        for code, count in counts.items()
        if count > 1
    ]


def _names(areas: Sequence[AreaSpec], code: str) -> str:
    return ", ".join(a.name for a in areas if a.code == code)


def _roots(areas: Sequence[AreaSpec]) -> list[MapProblem]:
    roots = [area for area in areas if area.level is Level.DISTRICT]
    if not roots:
        return [MapProblem.of("missing_root", [], _NO_ROOT)]
    if len(roots) > 1:
        labels = ", ".join(a.label for a in roots)
        return [
            MapProblem.of("multiple_roots", [a.code for a in roots], _ROOTS, count=len(roots), areas=labels)
        ]
    return []


def _hierarchy(by_code: dict[str, AreaSpec]) -> tuple[dict[str, list[AreaSpec]], list[MapProblem]]:
    """Children by parent code (only those exactly one level below their parent), and every broken link."""
    children: dict[str, list[AreaSpec]] = defaultdict(list)
    problems: list[MapProblem] = []
    for area in by_code.values():
        parent = by_code.get(area.parent_code) if area.parent_code is not None else None
        problem = _parent_problem(area, parent)
        if problem is not None:
            problems.append(problem)
        elif parent is not None:
            children[parent.code].append(area)
    return children, problems


def _parent_problem(area: AreaSpec, parent: AreaSpec | None) -> MapProblem | None:
    expected, codes = area.level.parent_level, [area.code]
    if expected is None:
        if area.parent_code is None:
            return None
        return MapProblem.of(
            "wrong_parent_level", codes, _ROOT_WITH_PARENT, area=area.label, parent_code=area.parent_code
        )
    if area.parent_code is None:
        return MapProblem.of(
            "missing_parent", codes, _NO_PARENT, area=area.label, level=LEVEL_LABELS[area.level]
        )
    if parent is None:
        return MapProblem.of(
            "unknown_parent", codes, _UNKNOWN_PARENT, area=area.label, parent_code=area.parent_code
        )
    if parent.level is not expected:
        return MapProblem.of(
            "wrong_parent_level", [area.code, parent.code], _WRONG_PARENT, area=area.label,
            level=LEVEL_LABELS[area.level], expected=LEVEL_LABELS[expected], parent=parent.label,
            actual=LEVEL_LABELS[parent.level],
        )  # fmt: skip
    return None


def _geometry_problems(area: AreaSpec) -> list[MapProblem]:
    geom: Any = area.geometry
    if not isinstance(geom, Polygon | MultiPolygon):
        return [_invalid(area, _NOT_POLYGON)]
    if geom.is_empty:
        return [_invalid(area, _EMPTY)]
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return [_invalid(area, _NOT_A_NUMBER)]
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in geom.bounds)
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        bounds = f"{lon_min:.6g}, {lat_min:.6g} .. {lon_max:.6g}, {lat_max:.6g}"
        return [MapProblem.of("not_wgs84", [area.code], _NOT_WGS84, area=area.label, bounds=bounds)]
    if not shapely.is_valid(geom):
        return [_geos_invalid(area, str(shapely.is_valid_reason(geom)))]
    return []


def _invalid(area: AreaSpec, reason: str) -> MapProblem:
    return MapProblem.of("invalid_geometry", [area.code], _INVALID, area=area.label, reason=reason)


def _geos_invalid(area: AreaSpec, said: str) -> MapProblem:
    """GEOS's reason in words of ours, with the point it names; a reason we do not know, as GEOS said it."""
    found = _GEOS_REASON.fullmatch(said.strip())
    reason = GEOS_REASONS.get(found["reason"].strip(), said) if found else said
    if found and found["point"] and reason != said:
        return MapProblem.of(
            "invalid_geometry", [area.code], _INVALID_AT, area=area.label, reason=reason, point=found["point"]
        )
    return _invalid(area, reason)


def _outside_parents(families: list[tuple[AreaSpec, list[AreaSpec]]]) -> list[MapProblem]:
    problems = []
    for parent, kids in families:
        if not kids:
            continue
        shapely.prepare(parent.geometry)  # one parent is tested against all its children
        inside = shapely.covers(parent.geometry, [c.geometry for c in kids])
        shapely.destroy_prepared(parent.geometry)
        for child in (c for c, ok in zip(kids, inside, strict=True) if not ok):
            size = noticeable_area_m2(shapely.difference(child.geometry, parent.geometry))
            if size > 0:
                problems.append(
                    MapProblem.of(
                        "outside_parent", [child.code, parent.code], _OUTSIDE,
                        area=child.label, parent=parent.label, size=f"{size:,.0f}",
                    )
                )  # fmt: skip
    return problems


def _overlaps(families: list[tuple[AreaSpec, list[AreaSpec]]]) -> list[MapProblem]:
    """Sibling pairs whose interiors share more than float noise, found through one STRtree per family."""
    problems = []
    for _, family in families:
        if len(family) < 2:
            continue
        geoms = np.array([c.geometry for c in family], dtype=object)
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        left, right = left[left < right], right[left < right]
        # Neighbours sharing an edge intersect too; only interiors meeting in 2-D can be an overlap.
        inner = shapely.relate_pattern(geoms[left], geoms[right], "2********")
        for i, j in zip(left[inner], right[inner], strict=True):
            size = noticeable_area_m2(shapely.intersection(geoms[i], geoms[j]))
            if size > 0:
                a, b = family[int(i)], family[int(j)]
                problems.append(
                    MapProblem.of(
                        "overlap",
                        [a.code, b.code],
                        _OVERLAP,
                        area=a.label,
                        other=b.label,
                        size=f"{size:,.0f}",
                    )
                )
    return problems


def _gaps(
    by_code: dict[str, AreaSpec], children: dict[str, list[AreaSpec]], usable: set[str]
) -> list[MapProblem]:
    """Parents their children leave partly bare, reported at the lowest such parent."""
    problems = []
    for parent in by_code.values():
        if parent.level is Level.MICROGRID or parent.code not in usable:
            continue
        kids = children.get(parent.code, [])
        if not kids:
            problems.append(MapProblem.of("gap", [parent.code], _CHILDLESS, parent=parent.label))
        elif all(c.code in usable for c in kids):  # else the broken child is reported already
            bare = shapely.difference(parent.geometry, shapely.union_all([c.geometry for c in kids]))
            size = noticeable_area_m2(bare)
            if size > 0:
                problems.append(
                    MapProblem.of("gap", [parent.code], _GAP, parent=parent.label, size=f"{size:,.0f}")
                )
    return problems
