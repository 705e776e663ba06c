"""Figures per street against hand-computed values, including no-data groups and the period boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.analytics.figures import figures, figures_from_cases
from civicgrid.domain.case_types import AreaChain, Callback, Location, Reporter, Satisfaction, Source
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import Deadline, LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.metrics import Counts, grade, rates
from civicgrid.domain.roles import Actor, Role

T0 = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
OP = Actor(role=Role.OPERATOR, name="op")
SUP = Actor(role=Role.SUPERVISOR, name="sup")
W = Actor(role=Role.GRID_WORKER, worker_code="F0001", name="w")
WEEK = TimeLimit(7, LimitUnit.DAYS, LimitMode.NATURAL)
STREET_1 = AreaChain("D1111", "D111", "D11", "D1")
STREET_2 = AreaChain("D2122", "D212", "D21", "D2")


class Natural:
    accept_limit = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)

    def due(self, start: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(start + timedelta(days=limit.amount))

    def shift(self, due: datetime, a: datetime, b: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(due + (b - a))


def case(areas: AreaChain, day: float) -> Case:
    at = T0 + timedelta(days=day)
    c = Case.submit(
        actor=Actor(role=Role.RESIDENT),
        at=at,
        source=Source.WEB,
        category_code="C0101",
        urgency=Urgency.NORMAL,
        description="x",
        location=Location(116.6, 35.4),
        areas=areas,
        reporter=Reporter(),
    )
    c.register(actor=OP, at=at, limit=WEEK)
    c.dispatch(actor=OP, at=at, org_code="chengguan", assignee_code="F0001", deadlines=Natural())
    return c


def close(c: Case, after_days: float, rework: bool = False) -> Case:
    start = c.submitted_at
    c.accept(actor=W, at=start + timedelta(hours=1))
    c.start(actor=W, at=start + timedelta(hours=2))
    c.report(actor=W, at=start + timedelta(days=after_days - 0.1), note="done")
    if rework:
        c.verify(actor=SUP, at=start + timedelta(days=after_days - 0.05), ok=False, note="again")
        c.report(actor=W, at=start + timedelta(days=after_days - 0.02), note="done")
    c.verify(actor=SUP, at=start + timedelta(days=after_days), ok=True)
    return c


def rate(c: Case, contacted: bool, resolved: bool, satisfaction: Satisfaction) -> Case:
    c.record_callback(
        actor=OP,
        at=c.closed_at + timedelta(hours=1),  # type: ignore[operator]
        callback=Callback(True, contacted, resolved, satisfaction),
    )
    return c


@pytest.fixture
def stored(engine: Engine) -> Engine:
    cases = [
        rate(close(case(STREET_1, 1), 3), True, True, Satisfaction.SATISFIED),  # on time
        rate(close(case(STREET_1, 2), 9), True, False, Satisfaction.BASICALLY),  # late: due after 7 days
        rate(close(case(STREET_2, 3), 2, rework=True), True, False, Satisfaction.UNSATISFIED),
        case(STREET_2, 4),  # still dispatched; overdue at NOW
        case(STREET_2, -5),  # before the period
    ]
    with UnitOfWork(engine) as u:
        for c in cases:
            u.cases.add(c)
        u.commit()
    return engine


NOW = T0 + timedelta(days=20)


def by_key(engine: Engine, group: str | None) -> dict[str, dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        rows = figures(conn, start=T0, end=T0 + timedelta(days=30), group=group, now=NOW)
    return {r["key"]: r for r in rows}


def test_street_figures_match_the_hand_computed_ones(stored: Engine) -> None:
    streets = by_key(stored, "street")
    one, two = streets["D1"], streets["D2"]
    assert one["counts"] == {
        "submitted": 2,
        "registered": 2,
        "closed": 2,
        "closed_on_time": 1,
        "handled": 2,
        "reworked": 0,
        "open": 0,
        "overdue": 0,
        "valid_callbacks": 2,
        "contacted": 2,
        "resolved": 1,
        "satisfied": 1,
        "basically_satisfied": 1,
    }
    assert one["rates"]["response"] == 1.0
    assert one["rates"]["resolution"] == 0.5
    assert one["rates"]["satisfaction"] == pytest.approx(0.95)
    assert one["rates"]["closure"] == 1.0 and one["rates"]["on_time"] == 0.5
    assert two["counts"]["submitted"] == 2 and two["counts"]["overdue"] == 1 and two["counts"]["open"] == 1
    assert two["rates"]["satisfaction"] == 0.0 and two["rates"]["rework"] == 1.0
    assert two["rates"]["closure"] == 0.5
    assert one["name"] == "D1"  # no area stored in this test: the code stands in for the name


def test_the_total_adds_up_and_durations_are_summarised(stored: Engine) -> None:
    total = by_key(stored, None)["all"]
    assert total["counts"]["submitted"] == 4  # the case before the period is not counted
    # From the rollups, each duration sits in the middle of its slot: [1.0, 1.1) h and [72, 73) h.
    assert total["hours"]["accept_median"] == 1.05
    assert total["hours"]["close_median"] == 72.5
    with stored.connect() as conn:
        (exact,) = figures_from_cases(conn, start=T0, end=T0 + timedelta(days=30), group=None, now=NOW)
    assert exact["hours"]["accept_median"] == 1.0
    assert exact["hours"]["close_median"] == pytest.approx(72.0)
    assert exact["counts"] == total["counts"]


def test_a_group_without_callbacks_has_no_rate_rather_than_zero() -> None:
    r = rates(Counts(submitted=3, registered=3))
    assert r.response is None and r.satisfaction is None and r.closure == 0.0
    assert rates(Counts()).score is None


def test_grades_at_90_75_60_40() -> None:
    assert [grade(s) for s in (95, 90, 89.99, 75, 60, 40, 39.9)] == ["A", "A", "B", "B", "C", "D", "E"]


def test_the_weighted_score_renormalises_over_rates_with_data() -> None:
    r = rates(Counts(registered=10, closed=10, closed_on_time=5))
    # only closure (1.0, weight .1) and on-time (0.5, weight .1) have data: (1.0*.1 + .5*.1) / .2 = 75
    assert r.score == 75.0 and r.grade == "B"
