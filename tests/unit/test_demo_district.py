"""The demo district: the real district's counts, realistic shapes, and a map that passes every rule."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from statistics import median

import pytest
import shapely

from civicgrid.demo.district import DEMO_DISTRICT_CODE, STREET_NAMES, generate_district
from civicgrid.domain.geography import AreaSpec, Level, check_map
from civicgrid.domain.geojson import parse_feature_collection, to_feature_collection

SQ_KM_PER_SQ_DEG = 110.574 * 111.320 * math.cos(math.radians(35.4))


@pytest.fixture(scope="module")
def demo() -> list[AreaSpec]:
    return generate_district()


def test_demo_has_the_real_districts_counts(demo: list[AreaSpec]) -> None:
    counts = Counter(a.level for a in demo)
    assert [counts[level] for level in Level] == [1, 5, 38, 540, 2627]


def test_demo_passes_every_map_rule(demo: list[AreaSpec]) -> None:
    assert check_map(demo) == []


def test_demo_names_and_codes_follow_the_hierarchy(demo: list[AreaSpec]) -> None:
    by_code = {a.code: a for a in demo}
    assert len(by_code) == len(demo)
    assert demo[0].code == DEMO_DISTRICT_CODE and demo[0].name == "高新区"
    assert [a.name for a in demo if a.level is Level.STREET] == list(STREET_NAMES)
    digits = {Level.STREET: 3, Level.COMMUNITY: 3, Level.GRID: 3, Level.MICROGRID: 2}
    for area in demo[1:]:
        parent = by_code[area.parent_code or ""]
        assert area.code.startswith(parent.code) and len(area.code) == len(parent.code) + digits[area.level]
    communities = [a.name for a in demo if a.level is Level.COMMUNITY]
    assert len(set(communities)) == 38 and all(re.fullmatch(r"\w{1,3}(社区|村)", n) for n in communities)
    assert len({a.name for a in demo}) == len(demo)
    grid = next(a for a in demo if a.level is Level.GRID)
    micro = next(a for a in demo if a.parent_code == grid.code)
    assert re.fullmatch(re.escape(by_code[grid.parent_code or ""].name) + r"第\d+网格", grid.name)
    assert re.fullmatch(re.escape(grid.name) + r"第\d+微网格", micro.name)


def test_demo_counts_per_parent_are_uneven(demo: list[AreaSpec]) -> None:
    children = Counter(a.parent_code for a in demo)
    for level, spread in ((Level.STREET, 1.5), (Level.COMMUNITY, 2), (Level.GRID, 2)):
        per_parent = [children[a.code] for a in demo if a.level is level]
        assert min(per_parent) >= 2 and max(per_parent) >= spread * min(per_parent)


def test_demo_sits_near_lon_116_6_lat_35_4_at_a_realistic_size(demo: list[AreaSpec]) -> None:
    district = demo[0].geometry
    assert district.centroid.distance(shapely.Point(116.6, 35.4)) < 0.05
    assert 200 < district.area * SQ_KM_PER_SQ_DEG < 400
    micro_km2 = [a.geometry.area * SQ_KM_PER_SQ_DEG for a in demo if a.level is Level.MICROGRID]
    assert 0.03 < median(micro_km2) < 0.3  # a few hundred metres across
    assert min(micro_km2) > 0.005 and max(micro_km2) < 2
    assert all(a.geometry.geom_type == "Polygon" for a in demo)


def test_demo_is_deterministic_for_a_seed(demo: list[AreaSpec]) -> None:
    again = generate_district(7)
    assert [(a.code, a.name, a.geometry.wkb) for a in again] == [
        (a.code, a.name, a.geometry.wkb) for a in demo
    ]
    other = generate_district(8)
    assert [a.geometry.wkb for a in other] != [a.geometry.wkb for a in demo]
    assert check_map(other) == []


def test_demo_survives_a_geojson_round_trip_exactly(demo: list[AreaSpec]) -> None:
    text = json.dumps(to_feature_collection(demo), ensure_ascii=False)
    back, problems = parse_feature_collection(json.loads(text))
    assert problems == [] and len(back) == len(demo)
    assert all(
        shapely.equals_exact(a.geometry, b.geometry, tolerance=0) for a, b in zip(demo, back, strict=True)
    )
    assert check_map(back) == []
