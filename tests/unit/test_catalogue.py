"""The shipped reference data and the Catalogue that reads it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from civicgrid.domain.catalogue import (
    LIST_DATATYPES,
    UTILITY_KINDS,
    Catalogue,
    CatalogueInvalid,
    CategoryKind,
    LimitClass,
    OrgKind,
    UnknownCategory,
    UnknownOrganisation,
    Urgency,
    load_catalogue,
    parse_catalogue,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_shipped_catalogue_has_no_problems(catalogue: Catalogue) -> None:
    assert catalogue.check() == []


def test_every_group_has_a_name_of_its_own_in_both_languages(catalogue: Catalogue) -> None:
    # The command centre's category table lists groups by name: two 市容环境 rows could not be told apart.
    for language in ("name_zh", "name_en"):
        names = Counter(getattr(m, language) for m in catalogue.majors)
        assert [n for n, count in names.items() if count > 1] == [], language


def test_there_are_sixteen_departments_and_five_utility_units(catalogue: Catalogue) -> None:
    assert len(catalogue.organisations) == 21
    assert len(catalogue.departments) == 16
    assert sorted(o.utility for o in catalogue.utilities if o.utility) == sorted(UTILITY_KINDS)
    assert all(o.utility is None for o in catalogue.departments)
    short_names = {o.short_name_zh for o in catalogue.departments}
    assert {"综治", "公安", "城管执法", "信访", "自然资源和规划"} <= short_names
    assert catalogue.organisation("chengguan").name_zh == "高新区城市管理综合执法局"
    assert catalogue.utility_unit("power").kind is OrgKind.UTILITY


def test_codes_are_unique(catalogue: Catalogue) -> None:
    for items in (catalogue.organisations, catalogue.majors, catalogue.categories):
        counts = Counter(i.code for i in items)
        assert [c for c, n in counts.items() if n > 1] == []


def test_there_are_at_least_sixty_leaves_under_twelve_or_more_majors(catalogue: Catalogue) -> None:
    assert len(catalogue.categories) >= 60
    assert len(catalogue.majors) >= 12
    assert all(catalogue.categories_in(m.code) for m in catalogue.majors)
    assert {c.kind for c in catalogue.categories} == {CategoryKind.EVENT, CategoryKind.COMPONENT}


def test_every_category_routes_to_an_existing_organisation(catalogue: Catalogue) -> None:
    codes = {o.code for o in catalogue.organisations}
    assert {c.department for c in catalogue.categories} <= codes
    assert {c.major for c in catalogue.categories} <= {m.code for m in catalogue.majors}


def test_every_category_is_fully_described(catalogue: Catalogue) -> None:
    for cat in catalogue.categories:
        assert cat.limit_class in set(LimitClass)
        assert cat.urgency in set(Urgency)
        assert cat.name_zh and cat.name_en and cat.description_zh and cat.description_en, cat.code
        assert 5 <= len(cat.keywords_zh) <= 15, cat.code


def test_utility_faults_go_to_their_utility_with_a_day_to_fix(catalogue: Catalogue) -> None:
    outage = catalogue.category("H0103")
    assert catalogue.organisation(outage.department).utility == "power"
    assert outage.limit_class is LimitClass.UTILITY


def test_gas_leak_is_an_emergency_and_wage_arrears_need_a_contact(catalogue: Catalogue) -> None:
    assert catalogue.category("E0403").urgency is Urgency.EMERGENCY
    assert catalogue.category("E0403").limit_class is LimitClass.EMERGENCY
    assert catalogue.category("H0401").anonymous_allowed is False


def test_at_least_eight_categories_carry_open311_attributes(catalogue: Catalogue) -> None:
    with_attributes = [c for c in catalogue.categories if c.has_metadata]
    assert len(with_attributes) >= 8
    datatypes = {a.datatype for c in with_attributes for a in c.attributes}
    assert len(datatypes) == 6


def test_attribute_orders_are_unique_positive_and_lists_have_values(catalogue: Catalogue) -> None:
    for cat in catalogue.categories:
        orders = [a.order for a in cat.attributes]
        assert len(orders) == len(set(orders)), cat.code
        assert all(o >= 1 for o in orders), cat.code
        for attr in cat.attributes:
            assert (attr.datatype in LIST_DATATYPES) == bool(attr.values), (cat.code, attr.code)


def test_manhole_cover_asks_for_the_type_of_cover(catalogue: Catalogue) -> None:
    cover = catalogue.category("C0101")
    cover_type = next(a for a in cover.attributes if a.code == "cover_type")
    assert cover_type.required
    assert "sewage" in {v.key for v in cover_type.values}


@pytest.mark.parametrize("query", ["井盖", "manhole", "Manhole Cover", "我家门口井盖丢了", "  井盖  "])
def test_search_finds_the_manhole_cover_first(catalogue: Catalogue, query: str) -> None:
    assert catalogue.search(query)[0].code == "C0101"


@pytest.mark.parametrize(
    ("query", "code"), [("停电", "H0103"), ("暖气不热", "H0105"), ("拖欠工资", "H0401"), ("noise", "H0301")]
)
def test_search_understands_how_residents_put_it(catalogue: Catalogue, query: str, code: str) -> None:
    assert code in [c.code for c in catalogue.search(query)[:3]]


def test_search_with_nothing_to_look_for_finds_nothing(catalogue: Catalogue) -> None:
    assert catalogue.search("") == []
    assert catalogue.search("   ") == []
    assert catalogue.search("xyzzy") == []


def test_english_words_match_at_word_starts_only(catalogue: Catalogue) -> None:
    found = [c.code for c in catalogue.search("ice")]
    assert "E0407" in found  # snow and ice
    assert "H0601" not in found  # bus service


def test_unknown_codes_are_refused(catalogue: Catalogue) -> None:
    with pytest.raises(UnknownCategory):
        catalogue.category("Z9999")
    with pytest.raises(UnknownOrganisation):
        catalogue.organisation("nobody")
    assert catalogue.get_category("Z9999") is None


def test_check_reports_broken_data(catalogue: Catalogue) -> None:
    cover = catalogue.category("C0101")
    bad_attrs = (cover.attributes[0], replace(cover.attributes[1], order=cover.attributes[0].order))
    broken = replace(cover, department="nobody", attributes=bad_attrs)
    gas_leak = replace(catalogue.category("E0403"), limit_class=LimitClass.ORDINARY)
    bad = replace(catalogue, categories=(*catalogue.categories, broken, gas_leak))
    problems = "\n".join(bad.check())
    assert "duplicate category code 'C0101'" in problems
    assert "unknown department 'nobody'" in problems
    assert "attribute order 1 used 2 times" in problems
    assert "emergency urgency with limit class ordinary" in problems


def test_malformed_data_is_refused_with_a_clear_error() -> None:
    orgs: dict[str, list[object]] = {"organisations": []}
    with pytest.raises(CatalogueInvalid):
        parse_catalogue(orgs, {"majors": [{"code": "X", "name_zh": "x", "name_en": "x", "kind": "bad"}]})
    with pytest.raises(CatalogueInvalid, match="missing field"):
        parse_catalogue(orgs, {"majors": []})
