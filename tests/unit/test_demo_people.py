"""The demo district's grid workers."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from civicgrid.demo.people import (
    MAX_GRIDS_PER_PROFESSIONAL,
    PROFESSIONAL_COUNT,
    SURNAMES,
    NoGridsOrOrganisations,
    WorkerKind,
    WorkerSpec,
    generate_people,
)
from civicgrid.domain.catalogue import Catalogue, load_catalogue

GRIDS = [f"370100{i:04d}" for i in range(1, 541)]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def people(catalogue: Catalogue) -> list[WorkerSpec]:
    return generate_people(GRIDS, catalogue.organisations)


def test_each_grid_has_exactly_one_fulltime_worker(people: list[WorkerSpec]) -> None:
    fulltime = [p for p in people if p.kind is WorkerKind.FULLTIME]
    assert len(fulltime) == 540
    assert sorted(g for p in fulltime for g in p.grid_codes) == sorted(GRIDS)
    assert all(p.org_code is None and len(p.grid_codes) == 1 for p in fulltime)


def test_there_are_1100_professionals_from_every_organisation(
    people: list[WorkerSpec], catalogue: Catalogue
) -> None:
    professionals = [p for p in people if p.kind is WorkerKind.PROFESSIONAL]
    assert len(professionals) == PROFESSIONAL_COUNT == 1100
    per_org = Counter(p.org_code for p in professionals)
    assert set(per_org) == {o.code for o in catalogue.organisations}
    assert per_org["police"] > per_org["market"] > per_org["petitions"]
    assert per_org["chengguan"] > 10 * per_org["petitions"]


def test_professionals_cover_one_to_six_neighbouring_grids(people: list[WorkerSpec]) -> None:
    index = {g: i for i, g in enumerate(GRIDS)}
    for p in people:
        if p.kind is WorkerKind.PROFESSIONAL:
            assert 1 <= len(p.grid_codes) <= MAX_GRIDS_PER_PROFESSIONAL
            positions = [index[g] for g in p.grid_codes]
            assert positions == list(range(positions[0], positions[0] + len(positions)))


def test_street_departments_cover_the_whole_district(people: list[WorkerSpec]) -> None:
    police = {g for p in people if p.org_code == "police" for g in p.grid_codes}
    assert police == set(GRIDS)


def test_codes_and_phones_are_unique_and_look_real(people: list[WorkerSpec]) -> None:
    assert len({p.code for p in people}) == len(people)
    assert len({p.phone for p in people}) == len(people)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.phone) for p in people)


def test_names_are_chinese_full_names(people: list[WorkerSpec]) -> None:
    assert all(2 <= len(p.name) <= 3 and p.name[0] in SURNAMES for p in people)
    surnames = Counter(p.name[0] for p in people)
    assert surnames.most_common(1)[0][0] in "王李张"


def test_same_seed_same_people_other_seed_other_people(catalogue: Catalogue) -> None:
    first = generate_people(GRIDS, catalogue.organisations, seed=11)
    assert first == generate_people(GRIDS, catalogue.organisations, seed=11)
    assert first != generate_people(GRIDS, catalogue.organisations, seed=12)


def test_generation_is_fast(catalogue: Catalogue) -> None:
    started = time.perf_counter()
    generate_people(GRIDS, catalogue.organisations)
    assert time.perf_counter() - started < 0.5


def test_a_tiny_district_still_gets_every_worker(catalogue: Catalogue) -> None:
    people = generate_people(["A", "B", "C"], catalogue.organisations, professional_count=50)
    assert len(people) == 53
    assert all(set(p.grid_codes) <= {"A", "B", "C"} and p.grid_codes for p in people)


def test_repeated_grid_codes_get_one_fulltime_worker(catalogue: Catalogue) -> None:
    people = generate_people(["A", "A", "B"], catalogue.organisations, professional_count=0)
    assert [p.grid_codes for p in people] == [("A",), ("B",)]


@pytest.mark.parametrize("grids", [[], ["A"]])
def test_no_grids_or_no_organisations_is_refused(grids: list[str]) -> None:
    with pytest.raises(NoGridsOrOrganisations):
        generate_people(grids, [])
