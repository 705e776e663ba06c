"""The workload simulator: real lifecycle histories, realistic shares, ground truth for duplicates."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import shapely

from civicgrid.adapters.calendar import ChinaWorkCalendar
from civicgrid.demo.district import generate_district
from civicgrid.demo.people import generate_people
from civicgrid.demo.workload import MicrogridSite, WorkerRef, simulate
from civicgrid.domain.case_types import Action, AreaChain, Outcome, Satisfaction, Source, Status
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Catalogue, LimitClass, Urgency, load_catalogue
from civicgrid.domain.deadlines import LimitMode, LimitUnit, TimeLimit, WorkingHours
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Role
from civicgrid.domain.time_limits import default_limit
from civicgrid.services.deadline_policy import CalendarDeadlines

END = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 on a Saturday in Beijing
DAYS = 365
COUNT = 2000
LOCAL = timedelta(hours=8)


class World:
    """The demo district, its workers and the policies a simulation needs."""

    def __init__(self) -> None:
        areas = generate_district(7)
        self.catalogue: Catalogue = load_catalogue()
        by_code = {a.code: a for a in areas}
        self.sites: list[MicrogridSite] = []
        for area in areas:
            if area.level is Level.MICROGRID:
                grid = by_code[area.parent_code or ""]
                community = by_code[grid.parent_code or ""]
                chain = AreaChain(area.code, grid.code, community.code, community.parent_code or "")
                self.sites.append(MicrogridSite(chain, area.geometry, community.name))
        grids = [a.code for a in areas if a.level is Level.GRID]
        self.workers: dict[str, list[WorkerRef]] = defaultdict(list)
        for w in generate_people(grids, self.catalogue.organisations, seed=7):
            for grid_code in w.grid_codes:
                self.workers[grid_code].append(WorkerRef(w.code, w.name, w.org_code, str(w.kind)))
        accept = TimeLimit(2, LimitUnit.HOURS, LimitMode.WORKING)
        self.deadlines = CalendarDeadlines(ChinaWorkCalendar(), WorkingHours(), accept)

    def limit(self, code: str, urgency: Urgency) -> TimeLimit:
        return default_limit(self.catalogue.category(code).limit_class, urgency)

    def run(self, count: int, seed: int, duplicates: list[tuple[int, int]] | None = None) -> list[Case]:
        return list(
            simulate(
                count=count, seed=seed, end=END, days=DAYS, sites=self.sites, catalogue=self.catalogue,
                limits=self.limit, deadlines=self.deadlines, workers_by_grid=self.workers,
                duplicates=duplicates,
            )
        )  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def pairs() -> list[tuple[int, int]]:
    return []


@pytest.fixture(scope="module")
def cases(world: World, pairs: list[tuple[int, int]]) -> list[Case]:
    return world.run(COUNT, seed=11, duplicates=pairs)


def took(case: Case, action: Action) -> bool:
    return any(e.action is action for e in case.new_events)


def share(cases: Sequence[Case], action: Action) -> float:
    return sum(took(c, action) for c in cases) / len(cases)


def metres(a: Case, b: Case) -> float:
    lat = math.radians((a.location.lat + b.location.lat) / 2)
    dx = (a.location.lon - b.location.lon) * 111_320 * math.cos(lat)
    dy = (a.location.lat - b.location.lat) * 110_574
    return math.hypot(dx, dy)


# ----------------------------------------------------------------------------------- the stream


def test_the_same_seed_gives_the_same_history_and_another_seed_another(world: World) -> None:
    def fingerprint(cases: list[Case]) -> list[tuple[object, ...]]:
        return [
            (c.description, c.submitted_at, c.location, c.reporter,
             [(e.action, e.at, e.actor_name, e.note) for e in c.new_events])
            for c in cases
        ]  # fmt: skip

    first, again = world.run(200, seed=5), world.run(200, seed=5)
    assert fingerprint(first) == fingerprint(again)
    assert fingerprint(world.run(200, seed=6)) != fingerprint(first)


def test_it_yields_count_unsaved_cases_submitted_in_the_window_in_order(cases: list[Case]) -> None:
    assert len(cases) == COUNT
    assert all(c.id is None and c.number is None and c.events == [] for c in cases)
    times = [c.submitted_at for c in cases]
    assert times == sorted(times)
    assert END - timedelta(days=DAYS) <= times[0] and times[-1] <= END


def test_every_history_is_a_chain_of_real_transitions_that_ends_by_end(cases: list[Case]) -> None:
    for case in cases:
        events = case.new_events
        assert events[0].action is Action.SUBMIT and events[0].from_status is None
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for before, after in pairwise(events):
            assert before.at <= after.at, case.description
            assert after.from_status == before.to_status, (case.description, after.action)
        assert events[-1].to_status is case.status
        assert events[-1].at <= END


def test_each_step_is_taken_by_the_role_the_lifecycle_allows(cases: list[Case]) -> None:
    roles: dict[Action, set[Role]] = defaultdict(set)
    for case in cases:
        for event in case.new_events:
            roles[event.action].add(event.actor_role)
    desk = {Role.OPERATOR, Role.SUPERVISOR, Role.SYSTEM}
    assert roles[Action.SUBMIT] == {Role.RESIDENT, Role.OPERATOR, Role.GRID_WORKER}
    assert roles[Action.REGISTER] <= desk and roles[Action.DISPATCH] <= desk
    assert roles[Action.ACCEPT] == {Role.GRID_WORKER, Role.HANDLER}
    assert roles[Action.REPORT] == {Role.GRID_WORKER, Role.HANDLER}
    assert roles[Action.APPROVE_EXTENSION] == {Role.SUPERVISOR}
    assert roles[Action.WARN] == {Role.SYSTEM}
    assert roles[Action.CALLBACK] == {Role.OPERATOR}


def test_every_open_and_closed_state_appears(cases: list[Case]) -> None:
    assert {c.status for c in cases} == set(Status)
    assert {c.outcome for c in cases if c.status is Status.CLOSED} == {Outcome.RESOLVED, Outcome.REJECTED}


def test_a_naive_end_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="time zone"):
        next(
            simulate(
                count=1, seed=1, end=END.replace(tzinfo=None), days=1, sites=world.sites,
                catalogue=world.catalogue, limits=world.limit, deadlines=world.deadlines,
                workers_by_grid=world.workers,
            )
        )  # fmt: skip


# ----------------------------------------------------------------------------------- realism


def test_arrivals_follow_the_working_week_and_the_office_day(cases: list[Case]) -> None:
    local = [c.submitted_at + LOCAL for c in cases]
    by_weekday = Counter(t.weekday() for t in local)
    assert sum(by_weekday[d] for d in range(5)) / 5 > 1.25 * (by_weekday[5] + by_weekday[6]) / 2
    by_hour = Counter(t.hour for t in local)
    assert by_hour[9] + by_hour[10] > 6 * (by_hour[2] + by_hour[3])
    assert by_hour[14] + by_hour[15] > 1.3 * (by_hour[12] + by_hour[13])
    assert sum(by_hour[h] for h in range(0, 6)) > 0  # some reports come at night


def test_heating_is_a_winter_matter_and_flooding_a_summer_one(cases: list[Case]) -> None:
    def months(code: str) -> Counter[int]:
        return Counter((c.submitted_at + LOCAL).month for c in cases if c.category_code == code)

    heating, flooding = months("H0105"), months("E0406")
    assert sum(heating[m] for m in (12, 1, 2)) > 5 * sum(heating[m] for m in (6, 7, 8))
    assert sum(flooding[m] for m in (6, 7, 8)) > 3 * sum(flooding[m] for m in (12, 1, 2))


def test_the_staples_dominate_and_gas_leaks_are_rare(cases: list[Case]) -> None:
    top = [code for code, _ in Counter(c.category_code for c in cases).most_common(8)]
    assert {"H0201", "H0301", "E0101"} <= set(top)
    assert sum(c.category_code == "E0403" for c in cases) < 0.005 * len(cases)


def test_sources_urgencies_and_reporters_have_realistic_shares(world: World, cases: list[Case]) -> None:
    sources = Counter(c.source for c in cases)
    for source, expected in ((Source.WEB, 0.35), (Source.HOTLINE, 0.40), (Source.PATROL, 0.15),
                             (Source.OPEN311, 0.05), (Source.ENTERPRISE, 0.05)):  # fmt: skip
        assert abs(sources[source] / len(cases) - expected) < 0.05, source
    assert sum(c.urgency is not world.catalogue.category(c.category_code).urgency for c in cases) > 20
    anonymous = [c for c in cases if c.reporter.anonymous]
    assert 0.05 < len(anonymous) / len(cases) < 0.2
    assert all(world.catalogue.category(c.category_code).anonymous_allowed for c in anonymous)
    callers = [c.reporter for c in cases if c.source is not Source.PATROL]
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", r.phone or "") for r in callers)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", r.name) for r in callers if r.name)


def test_side_roads_are_taken_about_as_often_as_in_a_real_district(cases: list[Case]) -> None:
    expected = {
        Action.REJECT: 0.03, Action.MERGE: 0.02, Action.REQUEST_RETURN: 0.03, Action.REQUEST_EXTENSION: 0.05,
        Action.REQUEST_SUSPENSION: 0.01, Action.ESCALATE: 0.03, Action.SUPERVISE: 0.02, Action.REWORK: 0.04,
    }  # fmt: skip
    for action, rate in expected.items():
        assert rate / 2 < share(cases, action) < rate * 1.8, action
    extensions = [c for c in cases if took(c, Action.REQUEST_EXTENSION)]
    assert share(extensions, Action.APPROVE_EXTENSION) > 0.7
    returns = [c for c in cases if took(c, Action.REQUEST_RETURN)]
    assert 0 < share(returns, Action.DENY_RETURN) < 0.6
    suspended = [c for c in cases if took(c, Action.APPROVE_SUSPENSION) and c.status is not Status.SUSPENDED]
    assert suspended and all(took(c, Action.RESUME) for c in suspended)


def test_most_cases_close_in_time_and_residents_are_mostly_satisfied(cases: list[Case]) -> None:
    dispatched = [c for c in cases if c.dispatched_at is not None]
    overdue = sum(any(e.data.get("level") == "red" for e in c.new_events) for c in dispatched)
    assert 0.04 < overdue / len(dispatched) < 0.13
    resolved = [c for c in cases if c.outcome is Outcome.RESOLVED or took(c, Action.CALLBACK)]
    assert 0.8 < share(resolved, Action.CALLBACK) < 0.97
    callbacks = [c.callback for c in cases if c.callback is not None]
    valid = [cb for cb in callbacks if cb.valid]
    assert 0.8 < len(valid) / len(callbacks) < 0.95
    ratings = Counter(cb.satisfaction for cb in valid)
    assert 0.75 < ratings[Satisfaction.SATISFIED] / len(valid) < 0.89
    assert 0.07 < ratings[Satisfaction.BASICALLY] / len(valid) < 0.17
    assert 0.02 < ratings[Satisfaction.UNSATISFIED] / len(valid) < 0.1
    assert 0.9 < sum(cb.contacted for cb in valid) / len(valid) < 0.99
    assert 0.85 < sum(cb.resolved for cb in valid) / len(valid) < 0.95
    assert share(cases, Action.REOPEN) > 0.003


def test_cases_go_to_the_category_department_and_a_worker_of_their_grid(
    world: World, cases: list[Case]
) -> None:
    for case in cases:
        dispatch = next((e for e in case.new_events if e.action is Action.DISPATCH), None)
        if dispatch is None:
            continue
        category = world.catalogue.category(case.category_code)
        assert dispatch.data["org"] == category.department
        crew = world.workers[case.areas.grid]
        assignee = dispatch.data["assignee"]
        if assignee is not None:
            assert assignee in {w.code for w in crew}
        elif category.limit_class is not LimitClass.COMPLEX and category.code != "H0502":
            assert category.department not in {w.org_code for w in crew}, case.category_code


def test_locations_lie_inside_their_microgrid_with_an_address(world: World, cases: list[Case]) -> None:
    sites = {s.chain.microgrid: s for s in world.sites}
    for case in cases:
        site = sites[case.areas.microgrid]
        assert site.chain == case.areas
        assert shapely.contains_xy(site.polygon, case.location.lon, case.location.lat)
        assert case.location.address


def test_descriptions_are_varied_and_in_chinese(cases: list[Case]) -> None:
    texts = [c.description for c in cases]
    assert len(set(texts)) > 0.97 * len(texts)
    property_texts = {c.description for c in cases if c.category_code == "H0201"}
    assert len(property_texts) > 40
    assert all(len(re.findall(r"[\u4e00-\u9fff]", t)) >= 10 for t in texts)


def test_duplicate_pairs_are_earlier_reports_of_the_same_problem_nearby(
    cases: list[Case], pairs: list[tuple[int, int]]
) -> None:
    assert 0.02 * len(cases) < len(pairs) < 0.1 * len(cases)
    for original, duplicate in pairs:
        first, again = cases[original], cases[duplicate]
        assert original < duplicate
        assert first.category_code == again.category_code
        assert metres(first, again) < 250
        assert timedelta(0) <= again.submitted_at - first.submitted_at <= timedelta(days=7)
        assert first.description != again.description
        assert not took(first, Action.MERGE)
    merged = {i for i, c in enumerate(cases) if c.status is Status.MERGED}
    origin_of = {d: o for o, d in pairs}
    assert merged <= set(origin_of)
    assert all(cases[i].merged_into == origin_of[i] + 1 for i in merged)


def test_given_a_first_id_cases_are_numbered_and_merges_point_at_those_ids(world: World) -> None:
    pairs: list[tuple[int, int]] = []
    cases = list(
        simulate(
            count=800, seed=3, end=END, days=60, sites=world.sites, catalogue=world.catalogue,
            limits=world.limit, deadlines=world.deadlines, workers_by_grid=world.workers,
            duplicates=pairs, first_id=101,
        )
    )  # fmt: skip
    assert [c.id for c in cases] == list(range(101, 901))
    origin_of = {d: o for o, d in pairs}
    merged = [i for i, c in enumerate(cases) if c.status is Status.MERGED]
    assert merged
    assert all(cases[i].merged_into == cases[origin_of[i]].id for i in merged)
