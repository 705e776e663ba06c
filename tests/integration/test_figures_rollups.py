"""Figures from the rollups against numbers worked out by hand, for cases driven through the real services.

The week of Monday 9 November 2026 (local days) holds eight cases with every edge the figures have: a
rework, a reopen after an unsatisfied callback, an approved extension that makes a late closure on time, a
merged duplicate, a rejected report, an invalid callback, a case still waiting past its deadline, and
basically satisfied weighing 0.9. Another was submitted the week before and closed in this one: it
belongs to the previous period's cohort. The rollups equal a recount from raw cases throughout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from civicgrid.analytics.figures import figures, figures_from_cases
from civicgrid.analytics.rollups import check, overdue_cases, rebuild
from civicgrid.analytics.rollups.query import quantiles
from civicgrid.domain.access import CaseScope
from civicgrid.domain.case_types import Source
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import workflow
from civicgrid.services.intake import ReportCase, report_case
from conftest import Civic

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = datetime(2026, 11, 9, tzinfo=ZONE)  # Monday 00:00 local
OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id=2, name="李值班")
WORKER = Actor(
    role=Role.GRID_WORKER, id=5, name="张网格", worker_code="F0001", area_codes=frozenset({"D111"})
)
PATROL = Actor(
    role=Role.GRID_WORKER, id=6, name="孙网格", worker_code="F0003", area_codes=frozenset({"D211"})
)
IN_D1 = (116.6025, 35.4025)  # grid D111, street D1
IN_D2 = (116.6125, 35.4025)  # grid D211, street D2
SOURCE_ACTOR = {Source.WEB: Actor(role=Role.RESIDENT, id=9001, name="吴居民"), Source.PATROL: PATROL}


class Story:
    """Files and drives cases through ``report_case`` and ``workflow.perform`` at chosen moments."""

    def __init__(self, civic: Civic) -> None:
        self.civic = civic

    def file(self, at: datetime, where: tuple[float, float], source: Source = Source.WEB) -> str:
        report = ReportCase(
            source=source,
            category_code="C0101",
            description="井盖缺失",
            lon=where[0],
            lat=where[1],
            reporter_name="吴居民",
            reporter_phone="13812341234",
        )
        actor = SOURCE_ACTOR.get(source, OPERATOR)
        app = self.civic.app
        return report_case(uow=app.uow, locator=app.locator, report=report, actor=actor, now=at).number

    def do(self, number: str, action: str, actor: Actor, at: datetime, **params: Any) -> None:
        app = self.civic.app
        workflow.perform(
            uow=app.uow,
            deadlines=app.deadlines,
            number=number,
            action=action,
            actor=actor,
            now=at,
            params=params,
        )

    def due(self, number: str) -> datetime:
        with self.civic.app.reader() as u:
            due = u.cases.get_by_number(number).due
        assert due is not None
        return due

    def to_work(self, number: str, at: datetime, worker: Actor = WORKER) -> None:
        """Register, dispatch to 城管 and the worker, accept an hour later, start."""
        self.do(number, "register", OPERATOR, at)
        self.do(number, "dispatch", OPERATOR, at, org_code="chengguan", assignee_code=worker.worker_code)
        self.do(number, "accept", worker, at + timedelta(hours=1))
        self.do(number, "start", worker, at + timedelta(hours=2))

    def finish(self, number: str, at: datetime, worker: Actor = WORKER) -> None:
        """Report back and get it verified at ``at``."""
        self.do(number, "report", worker, at - timedelta(hours=1), note="已修复")
        self.do(number, "verify", OPERATOR, at, ok=True)

    def call_back(
        self, number: str, at: datetime, satisfaction: str, resolved: bool, valid: bool = True
    ) -> None:
        self.do(
            number,
            "callback",
            OPERATOR,
            at,
            valid=valid,
            contacted=True,
            resolved=resolved,
            satisfaction=satisfaction if valid else None,
        )


@pytest.fixture
def story(civic: Civic) -> dict[str, Any]:
    s = Story(civic)
    tue = WEEK + timedelta(days=1, hours=9)
    n: dict[str, str] = {}
    # The previous week: filed on Thursday 5 November, closed and rated satisfied in this week.
    n["h"] = s.file(WEEK - timedelta(days=4) + timedelta(hours=9), IN_D1)
    s.to_work(n["h"], WEEK - timedelta(days=4) + timedelta(hours=9))
    s.finish(n["h"], tue)
    s.call_back(n["h"], tue + timedelta(hours=1), "satisfied", resolved=True)
    # A: closed on time, satisfied. B: reworked once, closed after its deadline, basically satisfied.
    n["a"] = s.file(tue, IN_D1)
    s.to_work(n["a"], tue)
    assert s.due(n["a"]) == tue + timedelta(hours=24)  # 井盖缺失 is urgent: 24 hours
    s.finish(n["a"], tue + timedelta(days=1))  # at the deadline itself: on time
    s.call_back(n["a"], tue + timedelta(days=1, hours=1), "satisfied", resolved=True)
    n["b"] = s.file(tue, IN_D1, Source.HOTLINE)
    s.to_work(n["b"], tue)
    s.do(n["b"], "report", WORKER, tue + timedelta(days=1), note="已修复")
    s.do(n["b"], "verify", OPERATOR, tue + timedelta(days=1, hours=1), ok=False, note="未修好")
    late = s.due(n["b"]) + timedelta(hours=2)
    s.finish(n["b"], late)
    s.call_back(n["b"], late + timedelta(hours=1), "basically_satisfied", resolved=False)
    # C: closed, rated unsatisfied, reopened: in progress again (handled once, no longer closed).
    n["c"] = s.file(tue, IN_D2, Source.PATROL)
    s.to_work(n["c"], tue, PATROL)
    s.finish(n["c"], tue + timedelta(days=1), PATROL)
    s.call_back(n["c"], tue + timedelta(days=1, hours=1), "unsatisfied", resolved=False)
    s.do(n["c"], "reopen", OPERATOR, tue + timedelta(days=1, hours=2), reason="居民不满意")
    # D: an approved extension; closed after the first deadline but before the extended one. No callback.
    n["d"] = s.file(tue, IN_D2, Source.PATROL)
    s.to_work(n["d"], tue, PATROL)
    first_due = s.due(n["d"])
    s.do(
        n["d"],
        "extend",
        PATROL,
        tue + timedelta(hours=3),
        new_due=first_due + timedelta(days=3),
        reason="缺料",
    )
    s.do(n["d"], "decide", SUPERVISOR, tue + timedelta(hours=4), approve=True)
    s.finish(n["d"], first_due + timedelta(days=1), PATROL)
    # G: dispatched, never accepted, past its deadline.
    n["g"] = s.file(tue, IN_D2, Source.PATROL)
    s.do(n["g"], "register", OPERATOR, tue)
    s.do(n["g"], "dispatch", OPERATOR, tue, org_code="chengguan", assignee_code="F0003")
    # E: rejected. F: merged into G, which is open. I: closed, the callback invalid (nobody reached).
    n["e"] = s.file(tue, IN_D1)
    s.do(n["e"], "reject", OPERATOR, tue + timedelta(minutes=5), reason="不属于受理范围")
    n["f"] = s.file(tue, IN_D1)
    s.do(n["f"], "merge", OPERATOR, tue + timedelta(minutes=5), into=n["g"])
    n["i"] = s.file(tue, IN_D2)
    s.to_work(n["i"], tue)
    s.finish(n["i"], tue + timedelta(hours=20))
    s.call_back(n["i"], tue + timedelta(hours=21), "satisfied", resolved=True, valid=False)
    # One case filed the week after: in neither period.
    n["later"] = s.file(WEEK + timedelta(days=8), IN_D1)
    now = WEEK + timedelta(days=5)  # Saturday: every step above is done; C's fresh deadline and G's passed
    assert s.due(n["g"]) < s.due(n["c"]) < now
    return {"numbers": n, "now": now, "engine": civic.app.engine}


def week(story: dict[str, Any], group: str | None, **kw: Any) -> dict[Any, dict[str, Any]]:
    with story["engine"].connect() as conn:
        rows = figures(
            conn, start=WEEK, end=WEEK + timedelta(days=7), group=group, now=story["now"], zone=ZONE, **kw
        )
    return {r["key"]: r for r in rows}


def test_the_week_in_total_matches_the_hand_count(story: dict[str, Any]) -> None:
    total = week(story, None)["all"]
    assert total["counts"] == {
        "submitted": 8,  # A B C D E F G I; not H (the week before) nor the case of the week after
        "registered": 6,  # E was rejected and F merged before registration
        "closed": 4,  # A B D I; C was reopened, E rejected is not a closure
        "closed_on_time": 3,  # A (at its deadline), I, and D thanks to its extension; B was late
        "handled": 5,  # A B C D I reported back at least once
        "reworked": 1,  # B
        "open": 2,  # C (in progress again) and G
        "overdue": 2,  # both are past their deadlines on Saturday
        "valid_callbacks": 3,  # A B C; I's callback reached nobody
        "contacted": 3,
        "resolved": 1,
        "satisfied": 1,
        "basically_satisfied": 1,
    }
    r = total["rates"]
    assert r["response"] == 1.0
    assert r["resolution"] == pytest.approx(1 / 3)
    assert r["satisfaction"] == pytest.approx((1 + 0.9) / 3)
    assert r["closure"] == pytest.approx(4 / 6)
    assert r["on_time"] == 0.75
    assert r["rework"] == 0.2
    # (0.2 x 1 + 0.3 x 1/3 + 0.3 x 1.9/3 + 0.1 x 0.75 + 0.1 x 4/6) / 1.0 x 100
    assert r["score"] == 63.17 and r["grade"] == "C"


def test_the_previous_week_holds_the_case_filed_before_and_closed_in_this_one(story: dict[str, Any]) -> None:
    total = week(story, None)["all"]
    before = total["previous"]
    assert before["counts"]["submitted"] == 1
    # Closed five days after filing against a 24-hour limit: late. All rates 1.0 but on-time 0.0:
    # (0.2 + 0.3 + 0.3 + 0.1 x 0 + 0.1) / 1.0 x 100 = 90.
    assert (before["counts"]["closed"], before["counts"]["closed_on_time"]) == (1, 0)
    assert before["rates"]["satisfaction"] == 1.0 and before["rates"]["score"] == 90.0
    assert before["rates"]["grade"] == "A"
    assert total["delta"]["submitted"] == 7
    assert total["delta"]["score"] == pytest.approx(63.17 - 90.0)
    assert total["delta"]["rework"] == pytest.approx(0.2)  # 1 of 5 handled, against 0 of 1
    d2 = week(story, "street")["D2"]
    assert d2["previous"]["counts"]["submitted"] == 0  # nothing filed in D2 the week before
    assert d2["delta"]["score"] is None and d2["delta"]["submitted"] == 4  # no data then: no change to rate


def test_per_street_and_a_group_without_callbacks(story: dict[str, Any]) -> None:
    streets = week(story, "street")
    d1, d2 = streets["D1"]["counts"], streets["D2"]["counts"]
    assert (d1["submitted"], d1["registered"], d1["closed"], d1["closed_on_time"]) == (4, 2, 2, 1)
    assert (d1["valid_callbacks"], d1["satisfied"], d1["basically_satisfied"], d1["open"]) == (2, 1, 1, 0)
    assert streets["D1"]["rates"]["satisfaction"] == pytest.approx(0.95)
    assert (d2["submitted"], d2["registered"], d2["closed"], d2["closed_on_time"]) == (4, 4, 2, 2)
    assert (d2["handled"], d2["open"], d2["overdue"], d2["valid_callbacks"]) == (3, 2, 2, 1)
    # Patrol reports (C, D, G): C has the only valid callback.
    sources = week(story, "source")
    assert sources["patrol"]["counts"]["valid_callbacks"] == 1
    workers = week(story, "worker")
    nobody = workers[None]["rates"]  # E and F were never dispatched: no callback, no closure
    assert nobody["response"] is None and nobody["satisfaction"] is None and nobody["closure"] is None
    assert nobody["score"] is None and nobody["grade"] is None
    assert workers[None]["counts"]["submitted"] == 2


def test_every_grouping_equals_the_raw_case_reference(story: dict[str, Any]) -> None:
    start, end = WEEK, WEEK + timedelta(days=7)
    # Whole days (rollups only), a ragged period (raw edges), a whole month, and one that starts mid-day.
    periods = [
        (start, end),
        (start + timedelta(hours=13), end - timedelta(hours=3)),
        (datetime(2026, 11, 1, tzinfo=ZONE), datetime(2026, 12, 1, tzinfo=ZONE)),
        (datetime(2026, 10, 15, 7, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=ZONE)),
    ]
    scopes = [
        None,
        CaseScope(area_codes=frozenset({"D21"})),
        CaseScope(org_code="chengguan"),
        CaseScope(area_codes=frozenset({"D111"}), worker_code="F0003"),
        CaseScope(reporter_user_id=9001),
    ]
    groups = [
        None,
        "street",
        "community",
        "grid",
        "microgrid",
        "org",
        "worker",
        "category",
        "urgency",
        "source",
    ]
    with story["engine"].connect() as conn:
        for a, b in periods:
            for scope in scopes:
                for group in groups:
                    kw = {"start": a, "end": b, "group": group, "now": story["now"], "scope": scope}
                    rolled = {r["key"]: r for r in figures(conn, **kw, zone=ZONE, previous=False)}
                    raw = {r["key"]: r for r in figures_from_cases(conn, **kw)}
                    assert rolled.keys() == raw.keys(), (a, b, scope, group)
                    for k in raw:
                        assert rolled[k]["counts"] == raw[k]["counts"], (a, b, scope, group, k)
                        assert rolled[k]["rates"] == raw[k]["rates"]


def test_hours_are_exact_to_the_slot(story: dict[str, Any]) -> None:
    total = week(story, None)["all"]["hours"]
    with story["engine"].connect() as conn:
        (raw,) = figures_from_cases(
            conn, start=WEEK, end=WEEK + timedelta(days=7), group=None, now=story["now"]
        )
    # Every acceptance took exactly one hour: slot [1.0, 1.1) h, reported at its middle.
    assert raw["hours"]["accept_median"] == 1.0 and total["accept_median"] == 1.05
    for name, width in (("close_median", 1.0), ("close_p90", 1.0), ("accept_p90", 0.1)):
        assert abs(total[name] - raw["hours"][name]) <= width / 2 + 0.005


def test_quantiles_from_a_histogram_interpolate_like_the_reference() -> None:
    from collections import Counter
    from statistics import quantiles as reference

    hist = Counter({0: 3, 5: 1, 12: 4, 40: 2})  # close slots (hours)
    values = sorted(s + 0.5 for s, n in hist.items() for _ in range(n))
    cuts = reference(values, n=100, method="inclusive")
    assert quantiles(hist, "close", (0.5, 0.9)) == [round(cuts[49], 2), round(cuts[89], 2)]
    assert quantiles(Counter({7: 1}), "accept", (0.9,)) == [0.75]
    assert quantiles(Counter(), "accept", (0.5,)) == [None]


def test_rollups_equal_a_rebuild_and_the_overdue_list(story: dict[str, Any]) -> None:
    engine = story["engine"]
    with engine.connect() as conn, conn.begin():
        report = check(conn)
        assert report.ok, report.differences
        assert report.cases == 10
        before = week(story, "community")
    with engine.begin() as conn:
        assert rebuild(conn) == 10
    assert week(story, "community") == before
    with engine.connect() as conn:
        street = overdue_cases(conn, now=story["now"], area_code="D2")
        assert [r["number"] for r in street] == [story["numbers"]["g"], story["numbers"]["c"]]  # by due
        assert overdue_cases(conn, now=story["now"], area_code="D1") == []
        assert len(overdue_cases(conn, now=story["now"], area_code="D211")) == 2
        assert len(overdue_cases(conn, now=story["now"], area_code="D")) == 2  # the district
        assert (
            overdue_cases(conn, now=story["now"], area_code="D2", limit=1)[0]["number"]
            == story["numbers"]["g"]
        )


@pytest.mark.parametrize(("cube", "grain"), [("community", "m"), ("area", "y")])
def test_check_reports_a_tampered_rollup(story: dict[str, Any], cube: str, grain: str) -> None:
    engine = story["engine"]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"UPDATE case_rollups SET closed = closed + 1 WHERE cube = '{cube}' AND grain = '{grain}'"
        )
    with engine.connect() as conn, conn.begin():
        report = check(conn)
    assert not report.ok
    assert {(d["cube"], d["grain"]) for d in report.differences} == {(cube, grain)}
    diff = report.differences[0]
    assert diff["stored"]["closed"] == diff["expected"]["closed"] + 1


def test_the_api_answers_from_the_rollups_with_the_previous_week(civic: Civic, story: dict[str, Any]) -> None:
    civic.clock.now = story["now"]
    query = {"from": "2026-11-09T00:00:00", "to": "2026-11-16T00:00:00", "group_by": "street"}  # local time
    answer = civic.client.get("/api/v1/figures", params=query, headers=civic.as_("leader"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["group_by"] == "street" and body["previous"]["to"] == body["from"]
    assert datetime.fromisoformat(body["previous"]["from"]) == WEEK - timedelta(days=7)
    streets = {g["key"]: g for g in body["groups"]}
    assert streets["D1"]["counts"]["submitted"] == 4 and streets["D1"]["previous"]["counts"]["submitted"] == 1
    assert streets["D2"]["counts"]["overdue"] == 2 and streets["D2"]["delta"]["submitted"] == 4
    assert set(streets["D1"]) >= {"key", "name", "counts", "rates", "hours", "previous", "delta"}
    assert streets["D1"]["name"] == "高新区-1"
    quick = civic.client.get(
        "/api/v1/figures", params=query | {"hours": "false"}, headers=civic.as_("leader")
    )
    assert all(v is None for v in quick.json()["groups"][0]["hours"].values())
    # By default: the 30 whole local days up to the end of today.
    default = civic.client.get("/api/v1/figures", headers=civic.as_("leader")).json()
    assert datetime.fromisoformat(default["to"]) == datetime(2026, 11, 15, tzinfo=ZONE)  # now: Saturday 00:00
    assert datetime.fromisoformat(default["from"]) == datetime(2026, 10, 16, tzinfo=ZONE)
    # A grid worker sees the figures of their grid and their own cases only (answered from the full cube).
    mine = civic.client.get("/api/v1/figures", params=query, headers=civic.as_("worker")).json()
    theirs = {g["key"]: g["counts"]["submitted"] for g in mine["groups"]}
    assert theirs == {"D1": 4, "D2": 1}  # A B E F are in grid D111; I, in D2, was assigned to them
