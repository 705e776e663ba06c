"""Duplicate scoring: distance, time window, related categories, text similarity, threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicgrid.domain.duplicates import (
    DuplicatePolicy,
    Sighting,
    bigrams,
    bounding_box,
    compare,
    haversine_m,
    is_duplicate,
    text_similarity,
)

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
LON, LAT = 116.6025, 35.4025
METRE_LAT = 1 / 111_195  # degrees of latitude per metre (mean earth radius)


def sighting(
    north_m: float = 0.0,
    days_ago: float = 0.0,
    category: str = "C0101",
    major: str = "C01",
    text: str = "东苑小区3号楼下井盖缺失，晚上很危险",
) -> Sighting:
    return Sighting(category, major, LON, LAT + north_m * METRE_LAT, NOW - timedelta(days=days_ago), text)


def test_haversine_measures_metres() -> None:
    assert haversine_m(LON, LAT, LON, LAT + 100 * METRE_LAT) == pytest.approx(100, abs=0.5)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(LON, LAT, LON, LAT) == 0


def test_the_bounding_box_holds_the_whole_circle() -> None:
    min_lon, min_lat, max_lon, max_lat = bounding_box(LON, LAT, 250)
    for lon, lat in ((min_lon, LAT), (max_lon, LAT), (LON, min_lat), (LON, max_lat)):
        assert haversine_m(LON, LAT, lon, lat) == pytest.approx(250, rel=1e-3)


def test_the_same_report_again_nearby_scores_as_a_duplicate() -> None:
    policy = DuplicatePolicy()
    match = compare(sighting(), sighting(north_m=30, days_ago=1), policy)
    assert match is not None and match.same_category and match.distance_m == pytest.approx(30, abs=0.5)
    assert match.days == pytest.approx(1) and match.similarity == 1.0
    assert is_duplicate(match, policy)


def test_too_far_too_old_or_unrelated_is_never_a_candidate() -> None:
    policy = DuplicatePolicy()
    assert compare(sighting(), sighting(north_m=260), policy) is None
    assert compare(sighting(), sighting(days_ago=31), policy) is None
    assert compare(sighting(), sighting(category="H0201", major="H02"), policy) is None
    assert not is_duplicate(None, policy)


def test_the_radius_can_be_set_per_category() -> None:
    wide = DuplicatePolicy(radius_by_category={"C0101": 500.0})
    assert wide.radius_for("C0101") == 500 and wide.radius_for("E0101") == 250
    assert compare(sighting(), sighting(north_m=400), wide) is not None
    assert compare(sighting(), sighting(north_m=400), DuplicatePolicy()) is None


def test_a_related_category_counts_but_less_than_the_same_one() -> None:
    policy = DuplicatePolicy()
    same = compare(sighting(), sighting(north_m=50, days_ago=2), policy)
    related = compare(sighting(), sighting(north_m=50, days_ago=2, category="C0102"), policy)
    assert same is not None and related is not None and not related.same_category
    assert related.score < same.score


def test_closer_newer_and_more_similar_scores_higher() -> None:
    policy = DuplicatePolicy()
    base = compare(sighting(), sighting(north_m=100, days_ago=5), policy)
    closer = compare(sighting(), sighting(north_m=10, days_ago=5), policy)
    newer = compare(sighting(), sighting(north_m=100, days_ago=0.5), policy)
    other_words = compare(sighting(), sighting(north_m=100, days_ago=5, text="马路上有个窨井没盖子"), policy)
    assert base and closer and newer and other_words
    assert closer.score > base.score and newer.score > base.score and other_words.score < base.score


def test_a_different_problem_of_the_same_category_far_off_and_old_stays_below_the_threshold() -> None:
    policy = DuplicatePolicy()
    far_old = compare(
        sighting(), sighting(north_m=240, days_ago=25, text="文化路北口雨水井盖松动有异响"), policy
    )
    assert far_old is not None and not is_duplicate(far_old, policy)


def test_text_similarity_is_jaccard_over_character_bigrams() -> None:
    assert bigrams("井盖 缺失!") == {"井盖", "盖缺", "缺失"}
    assert text_similarity("井盖缺失", "井盖缺失") == 1.0
    assert text_similarity("井盖缺失", "路灯不亮") == 0.0
    assert text_similarity("井盖缺失", "井盖松动") == pytest.approx(1 / 5)
    assert text_similarity("", "井盖") == 0.0
