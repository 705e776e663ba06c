"""State stays valid through the real services: random lifecycles of stored cases, some steps raced.

Each hypothesis example files three fresh cases on the ``civic`` app (one app serves every example of a
test; examples never share a case), drives them through ``workflow.perform`` with random actors, some steps
as two calls at the same moment, and after every step reloads the case through the repository: a refusal
raised a ``DomainError`` and stored nothing, a success stored exactly what the service returned, one event
and one version more, and the case keeps every invariant of tests/unit/test_lifecycle_properties.py. At the
end the figures of the example's cohort (``handled`` too: reached 'handled' at least once) equal a
recomputation from the loaded cases.
"""

from __future__ import annotations

import itertools
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_concurrency import race

from civicgrid.adapters.db.rollup_model import rollup_zone
from civicgrid.analytics.figures import figures
from civicgrid.analytics.rollups import check
from civicgrid.analytics.rollups.query import midnight
from civicgrid.domain.case_types import ASSIGNED_STATUSES, Action, Outcome, Satisfaction, Source, Status
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor, Role
from civicgrid.services import workflow
from civicgrid.services.intake import ReportCase, report_case
from conftest import START, Civic

# The invariants are the unit test's; its folder is on the path whenever the whole suite runs.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_lifecycle_properties import (
    CALLBACKS,
    COMMENTS,
    EVENTS,
    EXTRA_HOURS,
    MINUTES,
    NEXT,
    check_case,
    permitted,
    snapshot,
)

RESIDENT_ID = 9001  # the resident who files the first case of each example and may rate it
ALL_GRIDS = frozenset({"D111", "D112", "D211", "D212"})
ACTORS: dict[str, Actor] = {
    "operator": Actor(role=Role.OPERATOR, id=1, name="王受理"),  # the district desk: sees everything
    "supervisor": Actor(role=Role.SUPERVISOR, id=2, name="李值班"),
    "leader": Actor(role=Role.LEADER, id=3, name="赵领导"),
    "admin": Actor(role=Role.ADMIN, id=4, name="钱管理"),
    "worker": Actor(
        role=Role.GRID_WORKER, id=5, name="张网格", worker_code="F0001", area_codes=frozenset({"D111"})
    ),
    "worker2": Actor(
        role=Role.GRID_WORKER, id=6, name="孙网格", worker_code="F0003", area_codes=frozenset({"D211"})
    ),
    "pro": Actor(
        role=Role.GRID_WORKER,
        id=10,
        name="城管队员",
        worker_code="P0001",
        org_code="chengguan",
        area_codes=ALL_GRIDS,
    ),
    "handler": Actor(role=Role.HANDLER, id=7, name="刘承办", org_code="chengguan"),
    "handler2": Actor(role=Role.HANDLER, id=8, name="周承办", org_code="police"),
    "resident": Actor(role=Role.RESIDENT, id=RESIDENT_ID, name="吴居民"),
    "system": Actor.system(),
}
OWNERS = {"F0001": "worker", "F0003": "worker2", "P0001": "pro", "chengguan": "handler", "police": "handler2"}
# (lon, lat) in micro-grids of D111, D112 and D211 of the tiny map; streets D1, D1, D2.
POINTS = ((116.6025, 35.4025), (116.6075, 35.4125), (116.6125, 35.4025))
URGENCIES = (Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY)
DISPATCHES = (
    ("chengguan", "F0001"),
    ("chengguan", None),
    ("police", None),
    ("chengguan", "P0001"),
    ("water_supply", "F0003"),
)
_EXAMPLES = itertools.count()  # each example files its cases on a day of its own: its figures cohort


def file_cases(civic: Civic, at: datetime) -> list[str]:
    """A resident's web report, a hotline call and a patrol report, in three grids."""
    numbers = []
    for i, ((lon, lat), urgency) in enumerate(zip(POINTS, URGENCIES, strict=True)):
        source, actor = [
            (Source.WEB, ACTORS["resident"]),
            (Source.HOTLINE, ACTORS["operator"]),
            (Source.PATROL, ACTORS["worker2"]),
        ][i]
        report = ReportCase(
            source=source,
            category_code="C0101",
            description=f"井盖缺失 {i}",
            lon=lon,
            lat=lat,
            reporter_name="吴居民",
            reporter_phone="13812341234",
            urgency=urgency,
        )
        receipt = report_case(
            uow=civic.app.uow, locator=civic.app.locator, report=report, actor=actor, now=at
        )
        numbers.append(receipt.number)
    return numbers


def load(civic: Civic, number: str) -> Case:
    with civic.app.reader() as u:
        return u.cases.get_by_number(number)


def params(action: str, v: int, case: Case, numbers: list[str], now: datetime) -> dict[str, Any]:
    """The request body of an action; variant 4 gives a blank note or reason where one is needed."""
    text = "" if v == 4 else "说明"
    match action:
        case "merge":
            return {"into": numbers[v % len(numbers)]}  # sometimes the case itself
        case "dispatch":
            org, assignee = DISPATCHES[v]
            return {"org_code": org, "assignee_code": assignee}
        case "reject" | "return" | "suspend" | "reopen":
            return {"reason": text} if v != 3 else {}  # 3: the reason missing altogether
        case "decide":
            return {"approve": v % 2 == 0}
        case "report":
            return {"note": text, "photos": ["result.jpg"] if v == 1 else []}
        case "extend":
            return {"new_due": (case.due or now) + timedelta(hours=EXTRA_HOURS[v]), "reason": text}
        case "verify":
            return {"ok": v in (0, 2), "note": text}
        case "callback":
            cb = CALLBACKS[v]
            satisfaction = cb.satisfaction.value if cb.satisfaction else None
            return {
                "valid": cb.valid,
                "contacted": cb.contacted,
                "resolved": cb.resolved,
                "satisfaction": satisfaction,
            }
        case "escalate":
            return {"reason": text, "summon": ["police"] if v == 1 else []}
        case "supervise":
            return {"note": text, "respond_by": now + timedelta(hours=0 if v == 3 else 24)}
        case "comment":
            note, photos = COMMENTS[v]
            return {"note": note, "photos": list(photos)}
    return {"note": text}


def right_actor(action: str, case: Case) -> str:
    if action in ("accept", "return", "start", "report", "extend", "suspend", "comment"):
        return OWNERS.get(case.assignee_code or "") or OWNERS.get(case.org_code or "") or "operator"
    if action == "callback":
        return "resident" if case.reporter.user_id == RESIDENT_ID else "operator"
    return {
        "decide": "supervisor",
        "resume": "supervisor",
        "supervise": "supervisor",
        "escalate": "worker",
    }.get(action, "operator")


def draw_call(rng: random.Random, case: Case) -> tuple[str, str, int]:
    """An action that mostly fits the case's status, mostly by the right person, and its variant."""
    fitting = tuple(a for a in NEXT[case.status] if a in workflow.HANDLERS)
    fitting += ("decide",) * 6 if case.pending else ()
    action = rng.choice(fitting if fitting and rng.random() < 0.8 else workflow.ACTIONS)
    actor = right_actor(action, case) if rng.random() < 0.85 else rng.choice(list(ACTORS))
    return action, actor, rng.randrange(5)


def check_step(
    before: Case, after: Case, calls: list[tuple[str, Actor]], results: list[Any], versioned: bool
) -> None:
    """What one step (one call, or several at once) may have done to the stored case."""
    done = [(call, r) for call, r in zip(calls, results, strict=True) if not isinstance(r, Exception)]
    for r in results:
        assert not isinstance(r, Exception) or isinstance(r, DomainError), repr(r)
    if versioned:
        assert len(done) <= 1, "two writers on one version both won"
    assert after.version == before.version + len(done)
    assert len(after.history()) == len(before.history()) + len(done), "an event was lost or invented"
    if not done:
        assert snapshot(after) == snapshot(before), "a refused action changed the stored case"
        return
    new = after.history()[-len(done) :]
    assert {e.action for e in new} <= set().union(*(EVENTS[action] for (action, _), _ in done))
    if len(done) == 1:
        (action, actor), returned = done[0]
        assert snapshot(returned) == snapshot(after), "the stored case differs from the one returned"
        if versioned or len(calls) == 1:  # then the case it acted on is ``before``
            owners = {"assignee_code": before.assignee_code, "org_code": before.org_code}
            assert permitted(action, actor, **owners), f"{actor.role} may not {action}"


def reached_handled(case: Case) -> bool:
    """Reported back (反馈) at least once, read from the history; a rejected report never was."""
    reached = any(e.to_status is Status.HANDLED for e in case.history())
    # The same, as the figures define it from the stored fields.
    finished = case.status in (Status.CLOSED, Status.EVALUATED) and case.outcome is Outcome.RESOLVED
    defined = case.status is Status.HANDLED or finished or case.rework_count > 0 or case.reopen_count > 0
    assert reached == defined, f"case {case.number}: reached handled {reached}, by the definition {defined}"
    return reached


def expected_counts(cases: list[Case], now: datetime) -> dict[str, int]:
    """The figures of DOMAIN.md, counted from the loaded cases."""
    closed = [
        c for c in cases if c.status in (Status.CLOSED, Status.EVALUATED) and c.outcome is Outcome.RESOLVED
    ]
    valid = [c.callback for c in cases if c.callback is not None and c.callback.valid]
    return {
        "submitted": len(cases),
        "registered": sum(any(e.action is Action.REGISTER for e in c.history()) for c in cases),
        "closed": len(closed),
        "closed_on_time": sum(
            c.closed_at is not None and c.due is not None and c.closed_at <= c.due for c in closed
        ),
        "handled": sum(reached_handled(c) for c in cases),
        "reworked": sum(any(e.action is Action.REWORK for e in c.history()) for c in cases),
        "open": sum(c.status not in (Status.CLOSED, Status.EVALUATED, Status.MERGED) for c in cases),
        "overdue": sum(c.status in ASSIGNED_STATUSES and c.due is not None and c.due < now for c in cases),
        "valid_callbacks": len(valid),
        "contacted": sum(cb.contacted for cb in valid),
        "resolved": sum(cb.resolved for cb in valid),
        "satisfied": sum(cb.satisfaction is Satisfaction.SATISFIED for cb in valid),
        "basically_satisfied": sum(cb.satisfaction is Satisfaction.BASICALLY for cb in valid),
    }


def check_figures(civic: Civic, day: datetime, cases: list[Case], now: datetime) -> None:
    with civic.app.engine.connect() as conn:
        overall = figures(conn, start=day, end=day + timedelta(days=1), group=None, now=now)
        streets = figures(conn, start=day, end=day + timedelta(days=1), group="street", now=now)
    assert len(overall) == 1
    assert overall[0]["counts"] == expected_counts(cases, now)
    by_street = {g["key"]: g["counts"] for g in streets}
    assert by_street == {
        street: expected_counts([c for c in cases if c.areas.street == street], now)
        for street in {c.areas.street for c in cases}
    }
    # The rollups kept by every write equal a recount from the raw cases, and a whole local day (no raw
    # edges: answered from the rollups alone) gives the cohort's figures.
    with civic.app.engine.connect() as conn, conn.begin():
        report = check(conn)
        zone = rollup_zone()
        local_day = midnight(day.astimezone(zone).date(), zone)
        (whole_day,) = figures(conn, start=local_day, end=local_day + timedelta(days=1), group=None, now=now)
    assert report.ok, report.differences
    assert whole_day["counts"] == expected_counts(cases, now)


def perform(civic: Civic, number: str, call: tuple[str, str, int], version: int | None, **ctx: Any) -> Any:
    """One workflow call as a thunk, for running alone or in a race."""
    action, actor, v = call
    body = params(action, v, ctx["before"], ctx["numbers"], ctx["now"])
    return lambda: workflow.perform(
        uow=civic.app.uow,
        deadlines=civic.app.deadlines,
        number=number,
        action=action,
        actor=ACTORS[actor],
        now=ctx["now"],
        params=body,
        expected_version=version,
    )


# The choices come from a seeded Random, not from hypothesis draws: a race's winner differs between runs,
# and a draw that depended on it would make hypothesis's replay inconsistent.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=True), steps=st.integers(20, 40))
def test_random_lifecycles_through_the_services_keep_every_invariant(
    civic: Civic, rng: random.Random, steps: int
) -> None:
    day = START + timedelta(days=next(_EXAMPLES))
    numbers = file_cases(civic, day)
    stored = {number: load(civic, number) for number in numbers}
    now = day
    for _ in range(steps):
        number = rng.choice(numbers)
        now += timedelta(minutes=rng.choice(MINUTES))
        before = stored[number]
        calls = [draw_call(rng, before) for _ in range(2 if rng.random() < 0.2 else 1)]
        version_kind = rng.choice(("current",) * 7 + ("none", "none", "stale"))
        version = {"current": before.version, "none": None, "stale": before.version - 1}[version_kind]
        thunks = [perform(civic, number, c, version, before=before, numbers=numbers, now=now) for c in calls]
        if len(thunks) > 1:
            results = race(*thunks)
        else:
            try:
                results = [thunks[0]()]
            except Exception as exc:  # checked below: only a DomainError may come out
                results = [exc]
        after = stored[number] = load(civic, number)
        check_step(before, after, [(a, ACTORS[who]) for a, who, _ in calls], results, version is not None)
        check_case(after, civic.app.deadlines)
    check_figures(civic, day, list(stored.values()), now)


def test_a_rejected_report_is_not_counted_as_handled(civic: Civic) -> None:
    """A rejected report never reached 'handled'; a reopened case, back in progress, did."""
    day = START + timedelta(days=3650)  # a cohort of its own
    numbers = file_cases(civic, day)
    at = day

    def act(number: str, action: str, actor: str, **body: Any) -> None:
        nonlocal at
        at += timedelta(hours=1)
        workflow.perform(
            uow=civic.app.uow,
            deadlines=civic.app.deadlines,
            number=number,
            action=action,
            actor=ACTORS[actor],
            now=at,
            params=body,
        )

    def counts() -> dict[str, int]:
        with civic.app.engine.connect() as conn:
            (group,) = figures(conn, start=day, end=day + timedelta(days=1), group=None, now=at)
        return group["counts"]

    act(numbers[1], "reject", "operator", reason="不属于受理范围")
    assert counts()["handled"] == 0  # nothing was ever reported back (反馈): the rework rate's base
    act(numbers[0], "register", "operator", note="")
    act(numbers[0], "dispatch", "operator", org_code="chengguan", assignee_code="F0001")
    act(numbers[0], "accept", "worker", note="")
    act(numbers[0], "start", "worker", note="")
    act(numbers[0], "report", "worker", note="已修复", photos=[])
    act(numbers[0], "verify", "operator", ok=True, note="")
    unsatisfied = {"valid": True, "contacted": True, "resolved": False, "satisfaction": "unsatisfied"}
    act(numbers[0], "callback", "resident", **unsatisfied)
    act(numbers[0], "reopen", "operator", reason="居民不满意")
    assert load(civic, numbers[0]).status is Status.IN_PROGRESS
    assert (counts()["handled"], counts()["reworked"], counts()["closed"]) == (1, 0, 0)
