"""A deterministic demo district: 高新区 with 5 streets, 38 communities, 540 grids and 2,627 micro-grids.

The counts are those of the real district in DOMAIN.md; the shapes are invented. The district (~300 km²
around lon 116.6, lat 35.4) is cut top-down into Voronoi cells of seeded sites, with more sites where a
made-up population density is high, so urban micro-grids are a couple of hundred metres across and
village ones near a kilometre. Those cells are only a sketch: the final map is rebuilt from the micro-grid
boundaries, noded on a 1e-7° grid and polygonized, and every higher area is the exact union of its
children. Shared edges are therefore identical, survive GeoJSON at 7 decimals, and pass ``check_map``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon

from civicgrid.domain.geography import AreaSpec, Level

DEMO_DISTRICT_CODE = "370871"
DEMO_DISTRICT_NAME = "高新区"
STREET_NAMES = ("柳行街道", "洸河街道", "黄屯街道", "接庄街道", "王因街道")
LEVEL_COUNTS = {
    Level.DISTRICT: 1,
    Level.STREET: 5,
    Level.COMMUNITY: 38,
    Level.GRID: 540,
    Level.MICROGRID: 2627,
}
_MINIMUM_CHILDREN = {Level.STREET: 5, Level.COMMUNITY: 4, Level.GRID: 5, Level.MICROGRID: 2}
_CODE_DIGITS = {Level.STREET: 3, Level.COMMUNITY: 3, Level.GRID: 3, Level.MICROGRID: 2}

_URBAN_NAMES = (
    "东苑", "西苑", "南苑", "北苑", "杨柳", "柳行", "洸河", "康桥", "锦绣", "和谐", "长虹", "莲花", "翠湖",
    "金城", "银河", "明珠", "春晖", "朝阳", "丽景", "新城", "海川", "崇文", "火炬", "科苑", "创业", "北湖",
    "南湖", "瑞丰", "福泰", "怡和", "安居", "兴隆", "仙营", "嘉园", "泰和", "龙城", "诚信", "永丰", "华府",
    "书香",
)  # fmt: skip
_VILLAGE_NAMES = (
    "前营", "后营", "大刘庄", "小刘庄", "张庄", "马庄", "王庄", "李楼", "孙楼", "董庄", "崔庄", "田庄",
    "邵庄", "杨庄", "陈屯", "赵营", "高庙", "石佛", "北徐", "南徐", "十里营", "八里屯", "西王", "东王",
    "许庄", "胡庄", "郝庄", "曹庄", "郭楼", "周庄",
)  # fmt: skip

# The sketch is drawn in kilometres east/north of the centre, then turned into degrees.
_CENTRE = (116.60, 35.40)
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320 * math.cos(math.radians(_CENTRE[1]))
_GRID_DEG = 1e-7  # the coordinate grid: 7 decimals, about 1 cm
_URBAN_CORE = (-3.5, 1.5)
_URBAN_STREETS = 2  # 柳行 and 洸河 are urban; the other streets are towns among villages
_TOWNS = ((6.5, -3.0), (2.5, 5.0), (7.0, 3.5), (-1.0, -5.0))


@dataclass(frozen=True)
class _Cell:
    shape: Any
    parent: int


def generate_district(seed: int = 7) -> list[AreaSpec]:
    """The demo map, parents before children; the same seed always gives the same map."""
    rng = np.random.default_rng(seed)
    layers: list[list[_Cell]] = [[_Cell(_outline(rng), -1)]]
    for level in tuple(Level)[1:]:
        parents = layers[-1]
        weights = [_mass(p.shape) for p in parents]
        counts = _allocate(LEVEL_COUNTS[level], weights, _MINIMUM_CHILDREN[level], rng)
        cells = [_Cell(s, i) for i, p in enumerate(parents) for s in _split(p.shape, counts[i], rng)]
        if level is Level.STREET:  # the densest streets are the urban ones, named first in STREET_NAMES
            cells.sort(key=lambda c: -_mass(c.shape) / c.shape.area)
        layers.append(cells)
    shapes = _exact_shapes(layers)
    return _named_areas(layers, shapes, rng)


def _outline(rng: np.random.Generator) -> Any:
    """An irregular oval about 23 x 17 km, its radius wobbling with a few random low harmonics."""
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    wobble = np.zeros_like(angles)
    for k in (2, 3, 5, 7):
        wobble += rng.uniform(0.02, 0.07) * np.sin(k * angles + rng.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([11.5 * np.cos(angles), 8.5 * np.sin(angles)]) * (1 + wobble)[:, None])


def _density(xy: np.ndarray) -> np.ndarray:
    """Made-up residents per unit: a dense urban core in the west, four small towns, villages between."""

    def bump(centre: tuple[float, float], sigma: float) -> np.ndarray:
        return np.exp(-((xy[:, 0] - centre[0]) ** 2 + (xy[:, 1] - centre[1]) ** 2) / (2 * sigma**2))

    return 1.0 + 14.0 * bump(_URBAN_CORE, 3.0) + sum(3.0 * bump(town, 1.2) for town in _TOWNS)


def _mass(shape: Any) -> float:
    probe = np.vstack(
        [shapely.get_coordinates(shape), shapely.get_coordinates(shapely.point_on_surface(shape))]
    )
    return float(shape.area * _density(probe).mean())


def _allocate(total: int, weights: Sequence[float], minimum: int, rng: np.random.Generator) -> list[int]:
    """Split ``total`` over parents in proportion to their noisy weights, each getting ``minimum`` or more."""
    noisy = np.asarray(weights) * rng.lognormal(0.0, 0.35, len(weights))
    share = (total - minimum * len(noisy)) * noisy / noisy.sum()
    counts = np.floor(share).astype(int)
    for i in np.argsort(counts - share)[: total - minimum * len(noisy) - int(counts.sum())]:
        counts[i] += 1  # largest remainders first, so the total is exact
    return [int(c) + minimum for c in counts]


def _split(parent: Any, n: int, rng: np.random.Generator) -> list[Any]:
    """``n`` cells covering ``parent``, numbered north to south, west to east like a paper map."""
    if n == 1:
        return [parent]
    sites = _sites(parent, n, rng)
    cells = shapely.voronoi_polygons(MultiPoint(sites), extend_to=parent, ordered=True)
    pieces = [_polygons(shapely.intersection(cell, parent)) for cell in shapely.get_parts(cells)]
    shapes = _reattach_strays(pieces)
    band = math.sqrt(parent.area / n)
    centres = shapely.get_coordinates(shapely.point_on_surface(shapes))
    order = sorted(range(n), key=lambda i: (-math.floor(centres[i, 1] / band), centres[i, 0]))
    return [shapes[i] for i in order]


def _sites(parent: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Best-candidate sampling: each site is far from the others and from the edge, in density-scaled
    distance, so cells are compact and smaller where more people live."""
    candidates = _uniform_points(parent, 16 * n, rng)
    scale = np.sqrt(_density(candidates))
    room = 2 * shapely.distance(parent.boundary, shapely.points(candidates)) * scale
    chosen: list[int] = []
    for _ in range(n):
        best = int(np.argmax(room))
        chosen.append(best)
        room = np.minimum(room, np.hypot(*(candidates - candidates[best]).T) * scale)
    return candidates[chosen]


def _uniform_points(shape: Any, count: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = shape.bounds
    shapely.prepare(shape)
    found = np.empty((0, 2))
    while len(found) < count:
        batch = rng.uniform((x0, y0), (x1, y1), size=(2 * count, 2))
        found = np.vstack([found, batch[shapely.contains_xy(shape, batch[:, 0], batch[:, 1])]])
    return found[:count]


def _polygons(geometry: Any) -> list[Any]:
    """The polygon parts of an overlay result, largest first (lines and points where cells touch dropped)."""
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and p.area > 0]
    return sorted(parts, key=lambda p: -p.area)


def _reattach_strays(pieces: list[list[Any]]) -> list[Any]:
    """A cell cut by a concave parent may fall apart; its lesser parts join the neighbour they share most
    edge with, so every area is one piece."""
    shapes = [parts[0] for parts in pieces]
    for parts in pieces:
        for stray in parts[1:]:
            shared = [shapely.length(shapely.intersection(stray.boundary, s.boundary)) for s in shapes]
            target = int(np.argmax(shared))
            shapes[target] = shapely.union(shapes[target], stray)
    return shapes


def _exact_shapes(layers: list[list[_Cell]]) -> list[list[Any]]:
    """Rebuild every level from the micro-grid boundaries, noded on the coordinate grid, so edges match."""
    sketch = np.array([_to_degrees(c.shape) for c in layers[-1]], dtype=object)
    noded = shapely.union_all(shapely.boundary(sketch), grid_size=_GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    # Each face is one micro-grid's cell (snapping moves edges by far less than a cell is wide); the
    # nearest sketch cell to a point inside the face, taken once, also settles faces on a sketch edge.
    face_of, hit = shapely.STRtree(sketch).query_nearest(shapely.point_on_surface(faces), all_matches=False)
    owner = np.empty(len(faces), dtype=int)
    owner[face_of] = hit
    members: dict[int, list[Any]] = defaultdict(list)
    for face, leaf in zip(faces, owner, strict=True):
        members[int(leaf)].append(face)
    shapes = [[shapely.coverage_union_all(members[i]) for i in range(len(sketch))]]
    for layer, below in zip(layers[-2::-1], layers[:0:-1], strict=True):
        children: dict[int, list[Any]] = defaultdict(list)
        for cell, shape in zip(below, shapes[0], strict=True):
            children[cell.parent].append(shape)
        shapes.insert(0, [shapely.coverage_union_all(children[i]) for i in range(len(layer))])
    return [list(shapely.orient_polygons(level)) for level in shapes]  # as GeoJSON writes them


def _to_degrees(shape: Any) -> Any:
    return shapely.transform(shape, lambda xy: np.asarray(_CENTRE) + xy / (_KM_PER_DEG_LON, _KM_PER_DEG_LAT))


def _named_areas(
    layers: list[list[_Cell]], shapes: list[list[Any]], rng: np.random.Generator
) -> list[AreaSpec]:
    """Codes extend the parent's code by the child's number; names read like the district's own lists."""
    communities = _community_names(layers, rng)
    areas = [AreaSpec(DEMO_DISTRICT_CODE, DEMO_DISTRICT_NAME, Level.DISTRICT, None, shapes[0][0])]
    above = [areas[0]]
    for level, layer, level_shapes in zip(tuple(Level)[1:], layers[1:], shapes[1:], strict=True):
        numbers: dict[int, int] = defaultdict(int)
        here = []
        for index, (cell, shape) in enumerate(zip(layer, level_shapes, strict=True)):
            parent = above[cell.parent]
            numbers[cell.parent] += 1
            number = numbers[cell.parent]
            if level is Level.STREET:
                name = STREET_NAMES[index]
            elif level is Level.COMMUNITY:
                name = communities[index]
            else:
                name = f"{parent.name}第{number}{'网格' if level is Level.GRID else '微网格'}"
            code = parent.code + str(number).zfill(_CODE_DIGITS[level])
            here.append(AreaSpec(code, name, level, parent.code, shape))
        areas += here
        above = here
    return areas


def _community_names(layers: list[list[_Cell]], rng: np.random.Generator) -> list[str]:
    """Urban streets hold 社区; a rural street has one 社区 at its densest spot and 村 around it."""
    urban, villages = iter(rng.permutation(_URBAN_NAMES)), iter(rng.permutation(_VILLAGE_NAMES))
    communities = layers[2]
    density = [_mass(c.shape) / c.shape.area for c in communities]
    town: dict[int, int] = {}
    for i, cell in enumerate(communities):
        if cell.parent not in town or density[i] > density[town[cell.parent]]:
            town[cell.parent] = i
    return [
        f"{next(urban)}社区"
        if cell.parent < _URBAN_STREETS or town[cell.parent] == i
        else f"{next(villages)}村"
        for i, cell in enumerate(communities)
    ]
