"""Locate a point (lon, lat, WGS84) to the micro-grid (微网格) polygon that contains it.

A uniform raster is laid over the extent.  A cell that no polygon edge touches lies wholly inside one
polygon (or in none) and answers from the raster alone; a cell that an edge touches is "mixed" and keeps
a short candidate list that is tested exactly with GEOS.  The answer is always the lowest index among the
polygons that cover the point, i.e. the same as the naive "first polygon that covers it" loop, so a point
on a shared edge gets a deterministic answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon

from civicgrid.domain.errors import DomainError
from civicgrid.i18n import N_

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Margin (in cells) around every edge piece: a point within float noise of a cell border may be floored
# into the neighbouring cell, so the neighbour must be mixed too.  Far above rounding error (~1e-12).
_EPS = 1e-4
_EMPTY = -1  # raster value of a cell outside every polygon; mixed cell m is stored as -2 - m


class UnsupportedGeometry(DomainError):
    """A geometry handed to the index is not an areal boundary."""

    code = "unsupported_geometry"
    message = N_("Area number {index} has a {kind} boundary; only polygons can be located.")


class SpatialIndex:
    """Point-in-polygon lookup over a set of non-overlapping polygons, exact and fast."""

    def __init__(
        self,
        geoms: npt.NDArray[np.object_],
        raster: npt.NDArray[np.int32],
        frame: FloatArray,
        offsets: npt.NDArray[np.int32],
        candidates: npt.NDArray[np.int32],
    ) -> None:
        self._geoms = geoms
        self._raster = raster
        self._x0, self._y0, self._sx, self._sy = (float(f) for f in frame)
        self._ny, self._nx = raster.shape
        self._offsets = offsets
        self._candidates = candidates
        # memoryviews give plain Python ints ~3x faster than numpy scalar indexing on the single path
        self._cells = raster.reshape(-1).data
        self._offs = offsets.data

    @classmethod
    def build(cls, geometries: Sequence[Polygon | MultiPolygon], *, cells: int | None = None) -> SpatialIndex:
        """Index polygons that tile an area; ``cells`` overrides the raster size (about 1,600 per polygon)."""
        geoms = np.empty(len(geometries), dtype=object)
        for i, g in enumerate(geometries):
            if not isinstance(g, Polygon | MultiPolygon):
                raise UnsupportedGeometry(index=i, kind=type(g).__name__)
            geoms[i] = g
        shapely.prepare(geoms)
        target = cells if cells is not None else min(1 << 22, max(1 << 12, 1600 * len(geoms)))
        raster, frame, offsets, candidates = _rasterise(geoms, target)
        return cls(geoms, raster, frame, offsets, candidates)

    def __len__(self) -> int:
        return len(self._geoms)

    @property
    def shape(self) -> tuple[int, int]:
        """Raster rows and columns (for benchmarks and diagnostics)."""
        return (self._ny, self._nx)

    @property
    def nbytes(self) -> int:
        """Memory held by the raster and the candidate lists (the polygons themselves not counted)."""
        return self._raster.nbytes + self._offsets.nbytes + self._candidates.nbytes

    @property
    def mixed_cells(self) -> int:
        """How many raster cells need an exact test."""
        return len(self._offsets) - 1

    def locate(self, lon: float, lat: float) -> int:
        """Index of the polygon covering (lon, lat); -1 when none does (or the input is NaN)."""
        u = (lon - self._x0) * self._sx
        v = (lat - self._y0) * self._sy
        if not (0.0 <= u < self._nx and 0.0 <= v < self._ny):  # NaN fails every comparison
            return _EMPTY
        value: int = self._cells[int(v) * self._nx + int(u)]
        if value >= _EMPTY:
            return value
        lo, hi = self._offs[-2 - value], self._offs[-1 - value]
        cand = self._candidates[lo:hi]
        hits = shapely.intersects_xy(self._geoms[cand], lon, lat)
        return int(cand[hits.argmax()]) if hits.any() else _EMPTY

    def locate_many(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """Vectorised ``locate``: int32 indices, -1 outside every polygon or for NaN input."""
        lon_arr, lat_arr = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
        if lon_arr.shape != lat_arr.shape:  # a caller's bug, not a user's input: no translated message
            raise ValueError(f"lons {lon_arr.shape} and lats {lat_arr.shape} differ in shape")
        x, y = lon_arr.ravel(), lat_arr.ravel()
        u = (x - self._x0) * self._sx
        v = (y - self._y0) * self._sy
        inside = (u >= 0.0) & (u < self._nx) & (v >= 0.0) & (v < self._ny)
        flat = np.zeros(len(x), dtype=np.intp)
        flat[inside] = v[inside].astype(np.intp) * self._nx + u[inside].astype(np.intp)
        out = self._raster.reshape(-1)[flat]
        out[~inside] = _EMPTY
        mixed = np.flatnonzero(out < _EMPTY)
        if len(mixed):
            out[mixed] = self._resolve(mixed, -2 - out[mixed], x, y)
        return out.reshape(lon_arr.shape)

    def _resolve(
        self, points: IntArray, cells: npt.NDArray[np.int32], x: FloatArray, y: FloatArray
    ) -> npt.NDArray[np.int32]:
        """Exact answers for points in mixed cells: test candidates in ascending order, stop at a hit."""
        result = np.full(len(points), _EMPTY, dtype=np.int32)
        pos = self._offsets[cells].astype(np.intp)
        end = self._offsets[cells + 1]
        todo = np.arange(len(points))
        # one round per candidate rank; most mixed cells hold two or three candidates
        while len(todo):
            cand = self._candidates[pos[todo]]
            p = points[todo]
            hit = shapely.intersects_xy(self._geoms[cand], x[p], y[p])
            result[todo[hit]] = cand[hit]
            pos[todo] += 1
            todo = todo[~hit & (pos[todo] < end[todo])]
        return result


# ---- building the raster ------------------------------------------------------------------------------


def _rasterise(
    geoms: npt.NDArray[np.object_], target: int
) -> tuple[npt.NDArray[np.int32], FloatArray, npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Raster of polygon ids (-1 empty, -2-m mixed), its frame, and the CSR candidate lists of mixed cells."""
    n = len(geoms)
    bounds = shapely.total_bounds(geoms) if n else np.full(4, np.nan)
    if not np.isfinite(bounds).all():  # nothing to locate: a 1x1 empty raster that every point misses
        return (np.full((1, 1), _EMPTY, np.int32), np.zeros(4), np.zeros(1, np.int32), np.zeros(0, np.int32))
    frame, nx, ny = _frame(bounds, target)
    x0, y0, sx, sy = frame
    a, b, owner = _edges(geoms)
    u0, v0, u1, v1 = (a[:, 0] - x0) * sx, (a[:, 1] - y0) * sy, (b[:, 0] - x0) * sx, (b[:, 1] - y0) * sy
    count, total = _scanline(u0, v0, u1, v1, owner, nx, ny)
    keys = [_edge_keys(u0, v0, u1, v1, owner, nx, ny, n)]
    mixed = _unique(keys[0] // n)
    # A polygon meeting a mixed cell either has an edge there or holds the whole cell, hence its centre.
    # Without overlaps the edge owners already suffice; the centre's owner covers a cell lying inside
    # one polygon while crossed by another's edge.
    single = mixed[count[mixed] == 1]
    keys.append(single * n + total[single] - 1)
    crowded = np.flatnonzero(count > 1)  # overlapping input: ask GEOS which polygons meet those cells
    if len(crowded):
        cu, cv = crowded % nx, crowded // nx
        boxes = shapely.box(
            (cu - _EPS) / sx + x0, (cv - _EPS) / sy + y0, (cu + 1 + _EPS) / sx + x0, (cv + 1 + _EPS) / sy + y0
        )
        which, poly = shapely.STRtree(geoms).query(boxes, predicate="intersects")
        keys.append(crowded[which] * n + poly)
    merged = _unique(np.concatenate(keys))
    cell_of = merged // n
    starts = np.flatnonzero(np.r_[True, cell_of[1:] != cell_of[:-1]])
    raster = total  # reused in place: the builder's peak memory is dominated by these two arrays
    raster -= 1
    raster[count != 1] = _EMPTY
    raster[cell_of[starts]] = -2 - np.arange(len(starts), dtype=np.int32)
    offsets = np.r_[starts, len(merged)].astype(np.int32)
    return raster.reshape(ny, nx), np.asarray(frame), offsets, (merged % n).astype(np.int32)


def _frame(bounds: FloatArray, target: int) -> tuple[tuple[float, float, float, float], int, int]:
    """Origin and scale of a raster of about ``target`` cells, square on the ground, one spare cell around."""
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    shrink = math.cos(math.radians(min(89.0, abs(ymin + ymax) / 2)))  # a degree of longitude is shorter
    tiny = 1e-9 + 1e-6 * max(xmax - xmin, ymax - ymin)  # a degenerate (flat) extent still needs a size
    width, height = max(xmax - xmin, tiny), max(ymax - ymin, tiny)
    nx = min(1 << 14, max(3, round(math.sqrt(target * width * shrink / height))))
    ny = min(1 << 14, max(3, round(target / nx)))
    dx, dy = width / (nx - 2), height / (ny - 2)
    return (xmin - dx, ymin - dy, 1.0 / dx, 1.0 / dy), nx, ny


def _edges(geoms: npt.NDArray[np.object_]) -> tuple[FloatArray, FloatArray, IntArray]:
    """Every ring segment of every polygon part, as start points, end points and owning polygon."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    same = coord_of[1:] == coord_of[:-1]
    return coords[:-1][same], coords[1:][same], part_of[ring_of[coord_of[:-1][same]]]


def _scanline(
    u0: FloatArray, v0: FloatArray, u1: FloatArray, v1: FloatArray, owner: IntArray, nx: int, ny: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Per cell centre: how many polygons hold it (even-odd rule), and the sum of their ids + 1."""
    # Orient every edge upwards so a shared edge yields bit-identical crossings from both neighbours.
    up = v0 <= v1
    ua, va, ub, vb = np.where(up, u0, u1), np.where(up, v0, v1), np.where(up, u1, u0), np.where(up, v1, v0)
    first = np.clip(np.ceil(va - 0.5), 0, ny).astype(np.intp)  # rows whose centre is in [va, vb)
    k = np.clip(np.ceil(vb - 0.5), 0, ny).astype(np.intp) - first
    edge = np.repeat(np.arange(len(k)), k)
    row = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(k) - k, k)
    t = (row + 0.5 - va[edge]) / (vb[edge] - va[edge])
    x = ua[edge] + t * (ub[edge] - ua[edge])
    own = owner[edge]
    order = np.lexsort((x, row, own))  # pairs of crossings bound the inside of a polygon on a row
    s, e = order[0::2], order[1::2]
    c0 = np.clip(np.ceil(x[s] - 0.5), 0, nx).astype(np.intp)  # columns whose centre is in [x_s, x_e)
    c1 = np.clip(np.ceil(x[e] - 0.5), 0, nx).astype(np.intp)
    keep = c1 > c0
    row, c0, c1, own = row[s][keep], c0[keep], c1[keep], own[s][keep]
    close = c1 < nx  # a span running to the row's end needs no closing mark
    count = np.zeros(ny * nx, dtype=np.int32)
    total = np.zeros(ny * nx, dtype=np.int32)
    np.add.at(count, row * nx + c0, 1)
    np.add.at(count, (row * nx + c1)[close], -1)
    np.add.at(total, row * nx + c0, own + 1)
    np.add.at(total, (row * nx + c1)[close], -own[close] - 1)
    for diff in (count, total):
        np.cumsum(diff.reshape(ny, nx), axis=1, out=diff.reshape(ny, nx))
    return count, total


def _edge_keys(
    u0: FloatArray, v0: FloatArray, u1: FloatArray, v1: FloatArray, owner: IntArray, nx: int, ny: int, n: int
) -> IntArray:
    """Keys cell * n + polygon for every cell an edge passes within _EPS of (a superset is safe)."""
    du, dv = u1 - u0, v1 - v0
    # pieces at most half a cell long: each piece's padded bounding box spans at most 2 x 2 cells
    k = np.maximum(1, np.ceil(2 * np.maximum(np.abs(du), np.abs(dv)))).astype(np.intp)
    if not len(k):
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(k)
    # about 2**17 pieces at a time keeps the temporaries to a few tens of MB whatever the input
    cuts = [0, *np.searchsorted(ends, np.arange(1 << 17, ends[-1], 1 << 17), side="right"), len(k)]
    keys = []
    for lo, hi in itertools.pairwise(cuts):
        if hi > lo:
            part = slice(lo, hi)
            keys.append(_piece_keys(u0[part], v0[part], du[part], dv[part], owner[part], k[part], nx, ny, n))
    return _unique(np.concatenate(keys))


def _piece_keys(
    u0: FloatArray,
    v0: FloatArray,
    du: FloatArray,
    dv: FloatArray,
    owner: IntArray,
    k: IntArray,
    nx: int,
    ny: int,
    n: int,
) -> IntArray:
    """The cell keys of edges cut into ``k`` pieces each."""
    edge = np.repeat(np.arange(len(k)), k)
    j = np.arange(len(edge)) - np.repeat(np.cumsum(k) - k, k)
    t0, t1 = j / k[edge], (j + 1) / k[edge]
    pu0, pu1 = u0[edge] + t0 * du[edge], u0[edge] + t1 * du[edge]
    pv0, pv1 = v0[edge] + t0 * dv[edge], v0[edge] + t1 * dv[edge]
    cu0 = np.floor(np.minimum(pu0, pu1) - _EPS).astype(np.int64)
    cu1 = np.floor(np.maximum(pu0, pu1) + _EPS).astype(np.int64)
    cv0 = np.floor(np.minimum(pv0, pv1) - _EPS).astype(np.int64)
    cv1 = np.floor(np.maximum(pv0, pv1) + _EPS).astype(np.int64)
    own = owner[edge]
    keys = []
    for du_, dv_ in ((0, 0), (0, 1), (1, 0), (1, 1)):
        cu = np.clip(np.minimum(cu0 + du_, cu1), 0, nx - 1)
        cv = np.clip(np.minimum(cv0 + dv_, cv1), 0, ny - 1)
        keys.append((cv * nx + cu) * n + own)
    return _unique(np.concatenate(keys))


def _unique(a: IntArray) -> IntArray:
    """Sorted distinct values; a plain sort beats np.unique's hashing on millions of int64 keys."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]]
