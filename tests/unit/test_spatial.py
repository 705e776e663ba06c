"""SpatialIndex answers exactly what a loop over every polygon with shapely would answer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from civicgrid.adapters.spatial import SpatialIndex, UnsupportedGeometry

Floats = npt.NDArray[np.float64]
FRAME = (116.49, 35.33, 116.71, 35.465)  # ~20 km x 15 km, like the demo district


def tessellation(count: int, seed: int = 3) -> list[Any]:
    """Voronoi cells of random seeds clipped to FRAME: polygons that tile it without overlap."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = FRAME
    seeds = shapely.multipoints(np.c_[rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count)])
    frame = box(*FRAME)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    return [c for c in cells if not c.is_empty]


def brute_force(geoms: list[Any], x: Floats, y: Floats) -> npt.NDArray[np.int64]:
    """Lowest index of a polygon covering each point, -1 for none: the naive reference."""
    out = np.full(len(x), -1)
    for i in range(len(geoms) - 1, -1, -1):
        out[shapely.intersects_xy(geoms[i], x, y)] = i
    return out


def assert_exact(index: SpatialIndex, geoms: list[Any], x: Floats, y: Floats) -> None:
    expected = brute_force(geoms, x, y)
    assert index.locate_many(x, y).tolist() == expected.tolist()
    assert [index.locate(a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)] == expected.tolist()


@pytest.fixture(scope="module")
def grids() -> list[Any]:
    return tessellation(150)


@pytest.mark.parametrize("cells", [20, 3_000, None])
def test_random_points_match_brute_force_at_any_raster_size(grids: list[Any], cells: int | None) -> None:
    rng = np.random.default_rng(11)
    xmin, ymin, xmax, ymax = FRAME
    x, y = rng.uniform(xmin - 0.02, xmax + 0.02, 4_000), rng.uniform(ymin - 0.02, ymax + 0.02, 4_000)
    index = SpatialIndex.build(grids, cells=cells)
    assert_exact(index, grids, x, y)
    assert (index.locate_many(x, y) == -1).any()  # some points fell outside and said so


@pytest.mark.parametrize("cells", [20, 3_000, None])
def test_points_on_vertices_and_edges_match_brute_force(grids: list[Any], cells: int | None) -> None:
    coords = shapely.get_coordinates(grids)
    t = np.random.default_rng(5).uniform(0, 1, (len(coords) - 1, 1))
    on_edges = coords[:-1] + t * (coords[1:] - coords[:-1])
    points = np.vstack([coords, on_edges, (coords[:-1] + coords[1:]) / 2])
    index = SpatialIndex.build(grids, cells=cells)
    assert_exact(index, grids, points[:, 0], points[:, 1])


def test_shared_edge_goes_to_the_lowest_index_every_time() -> None:
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    index = SpatialIndex.build([right, left])
    assert index.locate(1.0, 0.5) == 0
    assert index.locate_many([1.0, 1.0], [0.5, 0.5]).tolist() == [0, 0]


def test_nan_infinite_and_far_points_are_nowhere(grids: list[Any]) -> None:
    index = SpatialIndex.build(grids)
    lons = [math.nan, 116.6, math.inf, -math.inf, 0.0, 116.6]
    lats = [35.4, math.nan, 35.4, 35.4, 0.0, 89.0]
    assert index.locate_many(lons, lats).tolist() == [-1] * 6
    assert [index.locate(a, b) for a, b in zip(lons, lats, strict=True)] == [-1] * 6


def test_empty_input_locates_nothing() -> None:
    index = SpatialIndex.build([])
    assert len(index) == 0
    assert index.locate(116.6, 35.4) == -1
    assert index.locate(math.nan, math.nan) == -1
    result = index.locate_many([116.6, math.nan], [35.4, 1.0])
    assert result.dtype == np.int32
    assert result.tolist() == [-1, -1]


def test_multipolygon_parts_and_a_hole_filled_by_another_grid() -> None:
    islands = MultiPolygon([box(0, 0, 4, 4).difference(box(1, 1, 3, 3)), box(6, 0, 8, 2)])
    lake = box(1, 1, 3, 3)
    geoms = [islands, lake]
    index = SpatialIndex.build(geoms, cells=64)
    assert index.locate(0.5, 0.5) == 0
    assert index.locate(7.0, 1.0) == 0
    assert index.locate(2.0, 2.0) == 1
    assert index.locate(5.0, 1.0) == -1  # the sea between the two parts
    rng = np.random.default_rng(2)
    assert_exact(index, geoms, rng.uniform(-1, 9, 3_000), rng.uniform(-1, 5, 3_000))


def test_concave_polygon_leaves_its_notch_empty() -> None:
    horseshoe = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    index = SpatialIndex.build([horseshoe])
    assert index.locate(0.5, 2.5) == 0
    assert index.locate(1.5, 2.5) == -1
    assert index.locate(1.5, 1.0) == 0  # on the notch's floor: covered
    rng = np.random.default_rng(4)
    assert_exact(index, [horseshoe], rng.uniform(-0.5, 3.5, 3_000), rng.uniform(-0.5, 3.5, 3_000))


def test_grid_far_smaller_than_a_raster_cell_is_still_found() -> None:
    speck = box(0.5, 0.5, 0.5 + 1e-7, 0.5 + 1e-7)
    geoms = [box(0, 0, 1, 1).difference(speck), speck]
    index = SpatialIndex.build(geoms, cells=16)
    assert index.locate(0.5 + 5e-8, 0.5 + 5e-8) == 1
    assert index.locate(0.5 - 5e-8, 0.5 + 5e-8) == 0
    assert index.locate(0.5, 0.5) == 0  # the corner is shared: the lower index answers


def test_overlapping_input_still_answers_like_the_loop() -> None:
    geoms = [box(0, 0, 2, 2), box(1, 1, 3, 3), box(0.5, 0.5, 2.5, 2.5)]
    index = SpatialIndex.build(geoms, cells=400)
    rng = np.random.default_rng(8)
    assert_exact(index, geoms, rng.uniform(-0.5, 3.5, 3_000), rng.uniform(-0.5, 3.5, 3_000))


def test_result_keeps_the_input_shape_and_is_int32(grids: list[Any]) -> None:
    index = SpatialIndex.build(grids)
    result = index.locate_many(np.full((2, 3), 116.6), np.full((2, 3), 35.4))
    assert result.shape == (2, 3)
    assert result.dtype == np.int32
    assert len(index) == len(grids)


def test_a_point_is_not_an_area() -> None:
    with pytest.raises(UnsupportedGeometry) as err:
        SpatialIndex.build([box(0, 0, 1, 1), Point(0, 0)])
    assert err.value.code == "unsupported_geometry"
    assert err.value.params == {"index": 1, "kind": "Point"}
