"""The grid map's rules: a sound map passes, each kind of broken map is refused naming the areas."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import Polygon, box

from civicgrid.domain.errors import DomainError
from civicgrid.domain.geography import (
    LEVEL_LABELS,
    LEVEL_NAMES_ZH,
    PROBLEM_KINDS,
    AreaSpec,
    Level,
    MapProblem,
    MapRejected,
    check_map,
)
from civicgrid.domain.geojson import parse_feature_collection, read_map, to_feature_collection
from civicgrid.i18n import translate as say
from support import tiny_map


def swap(areas: list[AreaSpec], code: str, **changes: Any) -> list[AreaSpec]:
    return [replace(a, **changes) if a.code == code else a for a in areas]


def geometry_of(areas: list[AreaSpec], code: str) -> Any:
    return next(a.geometry for a in areas if a.code == code)


def kinds(problems: list[MapProblem]) -> list[str]:
    return [p.kind for p in problems]


def test_tiny_map_has_the_expected_shape_and_passes() -> None:
    areas = tiny_map()
    assert [sum(a.level is level for a in areas) for level in Level] == [1, 2, 2, 4, 8]
    assert check_map(areas) == []


def test_levels_know_their_neighbours_and_chinese_names() -> None:
    assert Level.GRID.parent_level is Level.COMMUNITY
    assert Level.GRID.child_level is Level.MICROGRID
    assert Level.DISTRICT.parent_level is None
    assert Level.MICROGRID.child_level is None
    assert [level.depth for level in Level] == [0, 1, 2, 3, 4]
    assert [LEVEL_NAMES_ZH[level] for level in Level] == ["区", "街道", "社区", "网格", "微网格"]
    assert LEVEL_LABELS[Level.MICROGRID] == "micro-grid"


def test_self_intersecting_bowtie_is_refused() -> None:
    x0, y0, x1, y1 = geometry_of(tiny_map(), "D1111").bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    problems = check_map(swap(tiny_map(), "D1111", geometry=bowtie))
    assert kinds(problems) == ["invalid_geometry"]
    assert problems[0].codes == ("D1111",)
    assert "crosses itself near" in problems[0].detail and "D1111 高新区-1-1-1-1" in problems[0].detail
    # Said in the admin's language, with the point GEOS names.
    zh = say(problems[0].template, "zh_CN", **dict(problems[0].params))
    assert "边界自相交，位置在" in zh and "Self-intersection" not in zh and re.search(r"\d+\.\d+ \d+", zh)


def test_projected_coordinates_are_refused() -> None:
    metres = box(500_000, 3_918_000, 500_450, 3_918_555)  # what UTM zone 50N would give here
    problems = check_map(swap(tiny_map(), "D1111", geometry=metres))
    assert kinds(problems) == ["not_wgs84"]
    assert problems[0].codes == ("D1111",)


def test_unknown_parent_is_refused() -> None:
    problems = check_map(swap(tiny_map(), "D1111", parent_code="NOPE"))
    assert "unknown_parent" in kinds(problems)
    assert next(p for p in problems if p.kind == "unknown_parent").codes == ("D1111",)


def test_parent_must_be_exactly_one_level_up() -> None:
    problems = check_map(swap(tiny_map(), "D1111", parent_code="D11"))  # a micro-grid under a community
    wrong = [p for p in problems if p.kind == "wrong_parent_level"]
    assert len(wrong) == 1 and wrong[0].codes == ("D1111", "D11")
    assert "must be a grid" in wrong[0].detail and "is a community" in wrong[0].detail


def test_a_non_root_without_parent_is_refused() -> None:
    problems = check_map(swap(tiny_map(), "D2", parent_code=None))
    assert "missing_parent" in kinds(problems)


def test_overlapping_siblings_are_refused_naming_both() -> None:
    areas = tiny_map()
    grown = shapely.union(geometry_of(areas, "D1111"), geometry_of(areas, "D1112").buffer(-0.001))
    problems = check_map(swap(areas, "D1111", geometry=grown))
    assert kinds(problems) == ["overlap"]
    assert set(problems[0].codes) == {"D1111", "D1112"}
    assert "D1111 " in problems[0].detail and "D1112 " in problems[0].detail


def test_child_outside_its_parent_is_refused() -> None:
    areas = tiny_map()
    stretched = shapely.union(geometry_of(areas, "D1111"), geometry_of(areas, "D1121").buffer(-0.001))
    problems = check_map(swap(areas, "D1111", geometry=stretched))
    outside = [p for p in problems if p.kind == "outside_parent"]
    assert len(outside) == 1 and outside[0].codes == ("D1111", "D111")


def test_gap_in_the_micro_grid_cover_names_the_grid() -> None:
    problems = check_map([a for a in tiny_map() if a.code != "D1112"])
    assert kinds(problems) == ["gap"]
    assert problems[0].codes == ("D111",)
    assert "D111 高新区-1-1-1" in problems[0].detail


def test_grid_without_micro_grids_is_a_gap() -> None:
    problems = check_map([a for a in tiny_map() if a.code not in ("D1111", "D1112")])
    assert kinds(problems) == ["gap"] and problems[0].codes == ("D111",)
    assert "no child areas" in problems[0].detail


def test_duplicate_code_is_refused() -> None:
    areas = tiny_map()
    twin = replace(areas[-1], name="twin")
    problems = check_map([*areas, twin])
    assert kinds(problems) == ["duplicate_code"]
    assert problems[0].codes == (twin.code,) and "twin" in problems[0].detail


def test_exactly_one_district_root() -> None:
    assert kinds(check_map([a for a in tiny_map() if a.level is not Level.DISTRICT]))[0] == "missing_root"
    second = AreaSpec("X", "另一区", Level.DISTRICT, None, box(117, 35, 117.1, 35.1))
    problems = check_map([*tiny_map(), second])
    assert "multiple_roots" in kinds(problems)
    assert set(next(p for p in problems if p.kind == "multiple_roots").codes) == {"D", "X"}


def test_float_noise_on_shared_edges_is_not_reported_but_a_real_sliver_is() -> None:
    areas = tiny_map()
    noise = translate(geometry_of(areas, "D1111"), xoff=3e-9, yoff=-3e-9)  # ~0.3 mm: noise
    assert not shapely.covers(geometry_of(areas, "D111"), noise)  # slivers exist; the tolerance absorbs them
    assert check_map(swap(areas, "D1111", geometry=noise)) == []
    real = translate(geometry_of(areas, "D1111"), xoff=3e-5, yoff=3e-5)  # ~3 m along 450 m and 1.1 km edges
    assert {"overlap", "outside_parent", "gap"} <= set(kinds(check_map(swap(areas, "D1111", geometry=real))))


def test_every_problem_kind_is_declared_and_detail_renders_its_template() -> None:
    areas = tiny_map()
    problems = check_map([*swap(areas, "D1111", parent_code="NOPE"), replace(areas[-1], name="twin")])
    assert problems and all(p.kind in PROBLEM_KINDS for p in problems)
    assert all(p.detail == p.template.format(**dict(p.params)) for p in problems)


def test_map_rejected_carries_the_problems() -> None:
    problems = check_map([a for a in tiny_map() if a.code != "D1112"])
    error = MapRejected(problems)
    assert isinstance(error, DomainError)
    assert error.code == "map_rejected" and error.problems == tuple(problems)
    assert str(error) == "The map was refused: 1 problems found."


def test_geojson_round_trip_keeps_the_map_and_rounds_to_seven_decimals() -> None:
    areas = swap(tiny_map(), "D", geometry=box(116.60000000004, 35.40, 116.62, 35.42))
    data = json.loads(json.dumps(to_feature_collection(areas), ensure_ascii=False))
    assert data["features"][0]["properties"] == {
        "code": "D",
        "name": "高新区",
        "level": "district",
        "parent_code": None,
    }
    assert min(x for x, _ in data["features"][0]["geometry"]["coordinates"][0]) == 116.6
    back, problems = parse_feature_collection(data)
    assert problems == [] and check_map(back) == []
    assert [(a.code, a.name, a.level, a.parent_code) for a in back] == [
        (a.code, a.name, a.level, a.parent_code) for a in areas
    ]
    # The tiny map's midpoints such as 116.60499999999999 come back as 116.605: equal within 7 decimals.
    assert all(
        shapely.equals_exact(a.geometry, b.geometry, tolerance=1e-7) for a, b in zip(areas, back, strict=True)
    )


TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[116.6, 35.4], [116.61, 35.4], [116.61, 35.41], [116.6, 35.4]]],
}


def _feature(props: Any, geometry: Any = None) -> dict[str, Any]:
    geometry = geometry or TRIANGLE
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_parser_accepts_absent_parent_numeric_codes_and_chinese_levels() -> None:
    features = [_feature({"code": 370871, "name": "高新区", "level": "区"})]
    areas, problems = parse_feature_collection({"type": "FeatureCollection", "features": features})
    assert problems == []
    assert areas[0].code == "370871" and areas[0].level is Level.DISTRICT and areas[0].parent_code is None


GRID_PROPS = {"code": "1", "name": "x", "level": "grid", "parent_code": "0"}


@pytest.mark.parametrize(
    ("feature", "kind"),
    [
        ("not a feature", "malformed"),
        ({"type": "Feature", "geometry": None}, "missing_property"),
        (_feature({"name": "x", "level": "grid"}), "missing_property"),
        (_feature({**GRID_PROPS, "level": "block"}), "bad_level"),
        (_feature({**GRID_PROPS, "parent_code": [1]}), "missing_property"),
        (_feature(GRID_PROPS, {"type": "Point", "coordinates": [1, 2]}), "invalid_geometry"),
        (_feature(GRID_PROPS, {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}), "invalid_geometry"),
        (
            _feature(GRID_PROPS, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            "invalid_geometry",
        ),
        (_feature(GRID_PROPS, {"type": "MultiPolygon", "coordinates": []}), "invalid_geometry"),
        (_feature(GRID_PROPS, {"type": "Polygon", "coordinates": 7}), "invalid_geometry"),
    ],
)
def test_malformed_features_become_problems_not_exceptions(feature: Any, kind: str) -> None:
    areas, problems = parse_feature_collection({"type": "FeatureCollection", "features": [feature]})
    assert areas == []
    assert kind in kinds(problems)


@pytest.mark.parametrize(
    ("geometry", "said"),
    [
        ("nothing", "没有几何信息"),
        ({"type": "Point", "coordinates": [1, 2]}, "几何类型是 Point"),
        ({"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}, "非数字"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "没有闭合"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "至少需要四个"),
        ({"type": "MultiPolygon", "coordinates": []}, "一组多边形"),
        ({"type": "Polygon", "coordinates": 7}, "一组环"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]] * 2]}, "经度和纬度"),
    ],
)
def test_why_a_geometry_is_unreadable_is_said_in_chinese(geometry: Any, said: str) -> None:
    _, problems = parse_feature_collection(
        {"type": "FeatureCollection", "features": [_feature(GRID_PROPS, geometry)]}
    )
    [problem] = [p for p in problems if p.kind == "invalid_geometry"]
    zh = say(problem.template, "zh_CN", **dict(problem.params))
    assert said in zh and not re.search("[a-z]{4,}", re.sub("(Multi)?Polygon|Point", "", zh)), zh


@pytest.mark.parametrize(
    "data", [None, "text", [], {"type": "Feature"}, {"type": "FeatureCollection", "features": 3}]
)
def test_a_file_that_is_no_feature_collection_is_one_problem(data: object) -> None:
    assert kinds(parse_feature_collection(data)[1]) == ["malformed"]


def test_a_declared_projected_crs_is_refused() -> None:
    data = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        "features": [],
    }
    assert kinds(parse_feature_collection(data)[1]) == ["not_wgs84"]


def test_read_map_raises_with_every_problem() -> None:
    data = to_feature_collection([a for a in tiny_map() if a.code != "D1112"])
    data["features"].append("junk")
    with pytest.raises(MapRejected) as refused:
        read_map(data)
    assert sorted(kinds(list(refused.value.problems))) == ["gap", "malformed"]
    assert len(read_map(to_feature_collection(tiny_map()))) == 17


def test_every_kind_of_map_problem_has_a_name_people_read() -> None:
    from civicgrid.domain.geography import PROBLEM_KINDS, PROBLEM_LABELS
    from civicgrid.i18n import translate

    assert set(PROBLEM_LABELS) == PROBLEM_KINDS
    for label in PROBLEM_LABELS.values():
        assert translate(label, "zh_CN") != label  # each one has its Chinese name
