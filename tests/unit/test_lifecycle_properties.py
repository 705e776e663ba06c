"""State stays valid: random sequences of lifecycle actions by random roles keep every invariant of a case.

Hypothesis drives three cases at once, mostly with actions that fit a case's status and half of the time by
the right person, on clock deadlines and on the working calendar. After every step: the status is legal and
follows the transition table, a refused action raised a ``DomainError`` and changed nothing, the history is
complete and ordered, a waiting request equals a replay of the history (a request lapses on the event that
moves the case out of the statuses it can be decided in), the deadlines equal a replay of the history, the
counters count the history, and only the roles DOMAIN.md allows ever succeed. ``check_case``, ``permitted``
and ``snapshot`` are reused by tests/integration/test_lifecycle_db_properties.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_case_lifecycle import (
    HANDLER,
    LEADER,
    OPERATOR,
    OTHER_WORKER,
    RESIDENT,
    SUPERVISOR,
    T0,
    WORKER,
    NaturalDeadlines,
)

from civicgrid.adapters.calendar import ChinaWorkCalendar, YearSchedule
from civicgrid.domain.case_types import (
    ASSIGNED_STATUSES,
    OPEN_STATUSES,
    Action,
    AreaChain,
    Callback,
    CaseEvent,
    Escalation,
    Location,
    Outcome,
    Reporter,
    Satisfaction,
    Source,
    Status,
    Warning,
)
from civicgrid.domain.cases import Case, DeadlinePolicy
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit, WorkingHours
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.deadline_policy import CalendarDeadlines

# ----------------------------------------------------------------------------- the rules, restated

DESK = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.SYSTEM})
DESK_ACTIONS = frozenset({"register", "reject", "merge", "dispatch", "verify", "reopen"})
ASSIGNEE_ACTIONS = frozenset({"accept", "return", "start", "report", "extend", "suspend"})

# The events a successful step may record (action names as in ``civicgrid.services.workflow.HANDLERS``).
EVENTS: dict[str, frozenset[Action]] = {
    "register": frozenset({Action.REGISTER}),
    "reject": frozenset({Action.REJECT}),
    "merge": frozenset({Action.MERGE}),
    "dispatch": frozenset({Action.DISPATCH}),
    "accept": frozenset({Action.ACCEPT}),
    "return": frozenset({Action.REQUEST_RETURN}),
    "decide": frozenset(
        {
            Action.APPROVE_RETURN,
            Action.DENY_RETURN,
            Action.APPROVE_EXTENSION,
            Action.DENY_EXTENSION,
            Action.APPROVE_SUSPENSION,
            Action.DENY_SUSPENSION,
        }
    ),
    "start": frozenset({Action.START}),
    "report": frozenset({Action.REPORT}),
    "extend": frozenset({Action.REQUEST_EXTENSION}),
    "suspend": frozenset({Action.REQUEST_SUSPENSION}),
    "resume": frozenset({Action.RESUME}),
    "verify": frozenset({Action.VERIFY, Action.REWORK}),
    "callback": frozenset({Action.CALLBACK}),
    "reopen": frozenset({Action.REOPEN}),
    "escalate": frozenset({Action.ESCALATE}),
    "supervise": frozenset({Action.SUPERVISE}),
    "comment": frozenset({Action.COMMENT, Action.ADD_PHOTOS}),
    "warn": frozenset({Action.WARN}),
    "recount": frozenset({Action.RECOUNT_DEADLINE}),
}
ACTIONS = tuple(EVENTS)

S = Status
# DOMAIN.md's lifecycle: the statuses an action moves from, and where to (None: back to where it was).
MOVES: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.REGISTER: (frozenset({S.SUBMITTED}), S.REGISTERED),
    Action.REJECT: (frozenset({S.SUBMITTED}), S.CLOSED),
    Action.MERGE: (frozenset({S.SUBMITTED, S.REGISTERED}), S.MERGED),
    Action.DISPATCH: (frozenset({S.REGISTERED}), S.DISPATCHED),
    Action.ACCEPT: (frozenset({S.DISPATCHED}), S.ACCEPTED),
    Action.APPROVE_RETURN: (frozenset({S.DISPATCHED, S.ACCEPTED}), S.REGISTERED),
    Action.START: (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    Action.REPORT: (frozenset({S.IN_PROGRESS}), S.HANDLED),
    Action.VERIFY: (frozenset({S.HANDLED}), S.CLOSED),
    Action.REWORK: (frozenset({S.HANDLED}), S.IN_PROGRESS),
    Action.APPROVE_SUSPENSION: (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.SUSPENDED),
    Action.RESUME: (frozenset({S.SUSPENDED}), None),
    Action.CALLBACK: (frozenset({S.CLOSED}), S.EVALUATED),
    Action.REOPEN: (frozenset({S.EVALUATED}), S.IN_PROGRESS),
}
# Where a request can be asked and decided: an event that moves the case out of these lets it lapse.
PENDING_IN = {
    "return": frozenset({S.DISPATCHED, S.ACCEPTED}),
    "extension": frozenset({S.ACCEPTED, S.IN_PROGRESS}),
    "suspension": frozenset({S.ACCEPTED, S.IN_PROGRESS}),
}
REQUESTS = {
    Action.REQUEST_RETURN: "return",
    Action.REQUEST_EXTENSION: "extension",
    Action.REQUEST_SUSPENSION: "suspension",
}
DECISIONS = {
    Action.APPROVE_RETURN: "return",
    Action.DENY_RETURN: "return",
    Action.APPROVE_EXTENSION: "extension",
    Action.DENY_EXTENSION: "extension",
    Action.APPROVE_SUSPENSION: "suspension",
    Action.DENY_SUSPENSION: "suspension",
}


def is_assignee(actor: Actor, assignee_code: str | None, org_code: str | None) -> bool:
    """The grid worker the case is assigned to, or a handler of its department when no worker is."""
    if actor.role is Role.GRID_WORKER:
        return actor.worker_code is not None and actor.worker_code == assignee_code
    if actor.role is Role.HANDLER:
        return actor.org_code is not None and actor.org_code == org_code and assignee_code is None
    return False


def permitted(action: str, actor: Actor, *, assignee_code: str | None, org_code: str | None) -> bool:
    """Whether DOMAIN.md lets this actor take this action on a case with these owners (before the step)."""
    role, mine = actor.role, is_assignee(actor, assignee_code, org_code)
    if action in DESK_ACTIONS:
        return role in DESK
    if action in ASSIGNEE_ACTIONS:
        return mine
    rules = {
        "decide": role in (Role.SUPERVISOR, Role.SYSTEM),
        "resume": role in (Role.SUPERVISOR, Role.SYSTEM) or mine,
        "callback": role in DESK or role is Role.RESIDENT,
        "escalate": role in DESK or role in (Role.GRID_WORKER, Role.HANDLER),
        # A leader is read-only (DOMAIN.md): no supervision orders, no notes or photos.
        "supervise": role in (Role.SUPERVISOR, Role.SYSTEM),
        "comment": role in DESK or mine,
        "warn": role is Role.SYSTEM,
        "recount": role is Role.SYSTEM,
    }
    return rules[action]


# ----------------------------------------------------------------------------- the invariants


def snapshot(case: Case) -> dict[str, Any]:
    """Every field of the case and its whole history, comparable with ==."""
    state = {f.name: getattr(case, f.name) for f in fields(case) if f.name not in ("events", "new_events")}
    state["attributes"] = dict(case.attributes)
    state["history"] = [
        (
            e.seq,
            e.action,
            e.at,
            e.actor_role,
            e.actor_id,
            e.actor_name,
            e.from_status,
            e.to_status,
            e.note,
            dict(e.data),
            tuple(e.attachments),
        )
        for e in case.history()
    ]
    return state


def check_case(case: Case, deadlines: DeadlinePolicy) -> None:
    """Every invariant of one case."""
    assert isinstance(case.status, Status)
    _check_history(case)
    _check_fields(case)
    _check_pending(case)
    _check_deadlines(case, deadlines)
    count = Counter(e.action for e in case.history())
    assert case.rework_count == count[Action.REWORK]
    assert case.return_count == count[Action.APPROVE_RETURN]
    assert case.reopen_count == count[Action.REOPEN]
    assert case.extension_count == count[Action.APPROVE_EXTENSION]
    assert case.supervision_count == count[Action.SUPERVISE]
    assert list(Escalation).index(case.escalation) == count[Action.ESCALATE]


def _check_history(case: Case) -> None:
    history = case.history()
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    first = history[0]
    assert (first.action, first.from_status, first.to_status) == (Action.SUBMIT, None, S.SUBMITTED)
    assert all(a.at <= b.at for a, b in pairwise(history)), "times go backwards"
    suspended_from: Status | None = None
    for before, e in pairwise(history):
        assert e.from_status is before.to_status, f"event {e.seq} does not start where {before.seq} ended"
        if e.action is Action.APPROVE_SUSPENSION:
            suspended_from = e.from_status
        if e.from_status is e.to_status:
            assert e.action not in MOVES, f"{e.action} left the case {e.to_status}"
            continue
        assert e.action in MOVES, f"{e.action} moved the case {e.from_status} -> {e.to_status}"
        sources, target = MOVES[e.action]
        assert e.from_status in sources, f"{e.action} from {e.from_status}"
        assert e.to_status is (target or suspended_from), f"{e.action} to {e.to_status}"
    assert history[-1].to_status is case.status


def _check_fields(case: Case) -> None:
    history, status = case.history(), case.status
    finished = status in (S.CLOSED, S.EVALUATED)
    assert (case.closed_at is not None) == (finished or status is S.MERGED)
    assert (case.outcome is not None) == finished
    assert (case.evaluated_at is not None) == (status is S.EVALUATED)
    assert (case.merged_into is not None) == (status is S.MERGED) and case.merged_into != case.id
    assert (case.suspended_at is not None) == (status is S.SUSPENDED)
    if status is S.EVALUATED:
        assert case.outcome is Outcome.RESOLVED and case.callback is not None
    if status is S.HANDLED:
        assert case.handled_at is not None
    if status in (S.ACCEPTED, S.IN_PROGRESS, S.HANDLED, S.SUSPENDED):
        assert case.accepted_at is not None
    if status in ASSIGNED_STATUSES | {S.SUSPENDED}:
        assert case.org_code is not None
    registered = [e.at for e in history if e.action is Action.REGISTER]
    assert case.registered_at == (registered[0] if registered else None)
    assert (case.limit is not None) == bool(registered)
    assert case.photos == tuple(p for e in history for p in e.attachments)
    callbacks = [e for e in history if e.action is Action.CALLBACK]
    if case.callback is None:
        assert not callbacks
    else:
        data, cb = callbacks[-1].data, case.callback
        assert (data["valid"], data["contacted"], data["resolved"]) == (cb.valid, cb.contacted, cb.resolved)
        assert data["satisfaction"] == (cb.satisfaction.value if cb.satisfaction else None)
    # Warnings only rise; an approved extension or a reopening clears them.
    warning = Warning.NONE
    for e in history:
        if e.action is Action.WARN:
            assert list(Warning).index(Warning(e.data["level"])) > list(Warning).index(warning)
            warning = Warning(e.data["level"])
        elif e.action in (Action.APPROVE_EXTENSION, Action.REOPEN):
            warning = Warning.NONE
    assert case.warning is warning


def _check_pending(case: Case) -> None:
    """The waiting request is the replay of the history: asked, then decided or lapsed, one at a time.

    A request lapses on the event that moves the case out of the statuses it can be decided in; that event
    (and no other) records ``lapsed_request``. So a decision only ever acts on a request of the current state.
    """
    waiting: CaseEvent | None = None
    for e in case.history():
        kind = REQUESTS[waiting.action] if waiting else None
        if e.action in REQUESTS:
            assert waiting is None, f"event {e.seq}: a second request while a {kind} request waits"
            assert e.from_status in PENDING_IN[REQUESTS[e.action]], (
                f"{e.action} asked on a {e.from_status} case"
            )
            waiting = e
        elif e.action in DECISIONS:
            assert kind == DECISIONS[e.action], f"event {e.seq}: {e.action} decides a {kind} request"
            assert e.from_status in PENDING_IN[kind], f"{e.action} decided on a {e.from_status} case"
            assert "lapsed_request" not in e.data
            waiting = None
        elif kind is not None and e.to_status not in PENDING_IN[kind]:
            assert e.from_status is not e.to_status
            assert e.data.get("lapsed_request") == kind, (
                f"event {e.seq} ({e.action}) did not lapse the {kind}"
            )
            waiting = None
        else:
            assert "lapsed_request" not in e.data, f"event {e.seq} ({e.action}) lapsed nothing that waited"
    if waiting is None:
        assert case.pending is None, (
            f"a {case.pending and case.pending.kind} request that lapsed or was decided"
        )
        return
    pending, kind = case.pending, REQUESTS[waiting.action]
    assert pending is not None, f"the {kind} request of event {waiting.seq} is gone"
    assert (pending.kind, pending.at, pending.reason) == (kind, waiting.at, waiting.note)
    asked = waiting.data.get("new_due")
    assert pending.new_due == (datetime.fromisoformat(asked) if asked else None)
    assert case.status in PENDING_IN[kind], f"a {kind} request waits on a {case.status} case"


def _check_deadlines(case: Case, deadlines: DeadlinePolicy) -> None:
    history = case.history()
    dispatches = [e for e in history if e.action is Action.DISPATCH]
    assert (case.due is not None) == bool(dispatches)
    assert case.dispatched_at == (dispatches[-1].at if dispatches else None)
    if not dispatches:
        assert case.accept_due is None
        return
    assert case.limit is not None and case.due is not None
    # A return does not restart the clock, so the due time may precede a late re-dispatch, never the first.
    assert case.due >= dispatches[0].at
    # Replay the history: the due time is the limit from the first dispatch (or the last reopen), moved by
    # each approved extension to the date asked for, and by each suspension's pause.
    due: datetime | None = None
    provisional, accept_due = False, None
    paused_from: datetime | None = None
    asked: datetime | None = None
    for e in history:
        if e.action is Action.DISPATCH:
            accept_due = deadlines.due(e.at, deadlines.accept_limit).due
            if due is None:
                first = deadlines.due(e.at, case.limit)
                due, provisional = first.due, first.provisional
        elif e.action is Action.APPROVE_RETURN:
            accept_due = None
        elif e.action is Action.REQUEST_EXTENSION:
            asked = datetime.fromisoformat(e.data["new_due"])
        elif e.action is Action.APPROVE_EXTENSION:
            assert asked is not None and datetime.fromisoformat(e.data["new_due"]) == asked
            assert due is not None and asked > due, "an approved extension moved the deadline earlier"
            due = asked
        elif e.action is Action.APPROVE_SUSPENSION:
            paused_from = e.at
        elif e.action is Action.RESUME:
            assert paused_from is not None and due is not None
            shifted = deadlines.shift(due, paused_from, e.at, case.limit)
            assert shifted.due >= due, "a resume moved the deadline earlier"
            due, provisional = shifted.due, provisional or shifted.provisional
        elif e.action is Action.REOPEN:
            fresh = deadlines.due(e.at, case.limit)
            due, provisional = fresh.due, fresh.provisional
    assert (case.due, case.due_provisional) == (due, provisional)
    assert case.accept_due == accept_due
    if case.accept_due is not None:
        assert case.accept_due >= dispatches[-1].at


# ----------------------------------------------------------------------------- driving the cases

ACTORS: dict[str, Actor] = {
    "operator": OPERATOR,
    "supervisor": SUPERVISOR,
    "system": Actor.system(),
    "worker": WORKER,  # W001
    "other_worker": OTHER_WORKER,  # W002
    "handler": HANDLER,  # D04
    "other_handler": Actor(role=Role.HANDLER, id=7, name="陈承办", org_code="D05"),
    "resident": RESIDENT,
    "leader": LEADER,
    "admin": Actor(role=Role.ADMIN, id=8, name="钱管理"),
}
OWNERS = {"W001": "worker", "W002": "other_worker", "D04": "handler", "D05": "other_handler"}

# Each step has a variant 0-4 choosing its parameters; 4 gives a blank note or reason where one is needed.
LIMITS = tuple(
    TimeLimit.parse(t) for t in ("7d working", "2h working", "24h natural", "15d working", "2h natural")
)
DISPATCHES = (("D04", "W001"), ("D04", None), ("D05", "W002"), ("D05", None), ("D04", "W002"))
EXTRA_HOURS = (24, 72, 0, -1, 24)  # an extension's new due time after the current one (0, -1: refused)
CALLBACKS = (
    Callback(True, True, True, Satisfaction.SATISFIED, "很好"),
    Callback(True, True, True, Satisfaction.BASICALLY),
    Callback(True, True, False, Satisfaction.UNSATISFIED, "没修好"),
    Callback(False),
    Callback(True, True, True, None),  # a valid callback without a rating: refused
)
COMMENTS = (("补充说明", ()), ("", ("site.jpg",)), ("", ()), ("补充", ("a.jpg",)), ("  ", ()))
MINUTES = (0, 1, 30, 90, 240, 600, 1440, 4320, 10080)

# The actions that fit a status (repeated: more likely), and a decision while a request waits; the generator
# mixes them with any action at all.
NEXT: dict[Status, tuple[str, ...]] = {
    S.SUBMITTED: ("register",) * 6 + ("reject", "merge"),
    S.REGISTERED: ("dispatch",) * 6 + ("merge",),
    S.DISPATCHED: ("accept", "accept", "accept", "return", "escalate", "supervise"),
    S.ACCEPTED: ("start", "start", "start", "return", "extend", "suspend"),
    S.IN_PROGRESS: ("report", "report", "report", "extend", "extend", "suspend", "suspend", "comment"),
    S.SUSPENDED: ("resume", "resume", "warn"),
    S.HANDLED: ("verify", "verify", "verify", "recount"),
    S.CLOSED: ("callback", "callback", "comment"),
    S.EVALUATED: ("reopen", "reopen", "callback", "comment"),
    S.MERGED: ("comment", "supervise"),
}

POLICIES: dict[str, DeadlinePolicy] = {
    "natural": NaturalDeadlines(),
    "calendar": CalendarDeadlines(ChinaWorkCalendar(), WorkingHours(), TimeLimit.parse("2h working")),
}


@dataclass(frozen=True)
class Step:
    """One action on one of the cases, by one actor, some minutes after the previous step."""

    target: int
    action: str
    actor: str
    variant: int = 0
    minutes: int = 0


def new_case(i: int) -> Case:
    case = Case.submit(
        actor=RESIDENT,
        at=T0,
        source=Source.WEB,
        category_code="C0101",
        urgency=Urgency.NORMAL,
        description=f"井盖缺失 {i}",
        location=Location(116.6, 35.4),
        areas=AreaChain("m1", "g1", "c1", "s1"),
        reporter=Reporter("张三", "13812341234"),
    )
    case.id, case.number = i + 1, f"20261102{i + 1:06d}"
    return case


def apply(cases: list[Case], step: Step, now: datetime, deadlines: DeadlinePolicy) -> bool:
    """Perform one step; False when a system step had nothing to do. A refusal raises."""
    case, actor, v = cases[step.target], ACTORS[step.actor], step.variant
    text = "" if v == 4 else "说明"
    match step.action:
        case "register":
            case.register(actor=actor, at=now, limit=LIMITS[v], note=text)
        case "reject":
            case.reject(actor=actor, at=now, reason=text)
        case "merge":  # variant 2 picks the case itself
            case.merge_into(actor=actor, at=now, target=cases[(step.target + 1 + v) % len(cases)])
        case "dispatch":
            org, assignee = DISPATCHES[v]
            case.dispatch(actor=actor, at=now, org_code=org, assignee_code=assignee, deadlines=deadlines)
        case "accept":
            case.accept(actor=actor, at=now)
        case "return":
            case.request_return(actor=actor, at=now, reason=text)
        case "decide":
            case.decide(actor=actor, at=now, approve=v % 2 == 0)
        case "start":
            case.start(actor=actor, at=now)
        case "report":
            case.report(actor=actor, at=now, note=text, photos=("result.jpg",) if v == 1 else ())
        case "extend":
            new_due = (case.due or now) + timedelta(hours=EXTRA_HOURS[v])
            case.request_extension(actor=actor, at=now, new_due=new_due, reason=text)
        case "suspend":
            case.request_suspension(actor=actor, at=now, reason=text)
        case "resume":
            case.resume(actor=actor, at=now, deadlines=deadlines)
        case "verify":  # 0, 2: close; 1, 3: rework; 4: rework without a note (refused)
            case.verify(actor=actor, at=now, ok=v in (0, 2), note=text)
        case "callback":
            case.record_callback(actor=actor, at=now, callback=CALLBACKS[v])
        case "reopen":
            case.reopen(actor=actor, at=now, deadlines=deadlines, reason=text)
        case "escalate":
            case.escalate(actor=actor, at=now, reason=text, summon=("D01",) if v == 1 else ())
        case "supervise":  # variant 3: a response time that is not in the future (refused)
            respond_by = now + timedelta(hours=0 if v == 3 else 24)
            case.supervise(actor=actor, at=now, note=text, respond_by=respond_by)
        case "comment":
            note, photos = COMMENTS[v]
            case.comment(actor=actor, at=now, note=note, photos=photos)
        case "warn":
            return case.mark_warning(at=now, level=list(Warning)[v % 3])
        case "recount":
            return case.recount_deadline(at=now, deadlines=deadlines)
        case _:
            raise AssertionError(step.action)
    return True


def take(cases: list[Case], step: Step, now: datetime, deadlines: DeadlinePolicy) -> bool:
    """One step and every check after it; True when it changed the case."""
    case, actor = cases[step.target], ACTORS[step.actor]
    before = snapshot(case)
    owners = {"assignee_code": case.assignee_code, "org_code": case.org_code}
    try:
        changed = apply(cases, step, now, deadlines)
    except DomainError:
        changed = False
    if not changed:
        assert snapshot(case) == before, f"{step} was refused but changed the case"
    else:
        history = case.history()
        assert len(history) == len(before["history"]) + 1
        new = history[-1]
        assert new.action in EVENTS[step.action] and new.at == now and new.actor_role is actor.role
        assert permitted(step.action, actor, **owners), f"{actor.role} may not {step.action}"
    check_case(case, deadlines)
    return changed


def right_actor(action: str, case: Case) -> str:
    """The actor who would normally take this action on this case."""
    if action in ASSIGNEE_ACTIONS or action == "comment":
        return OWNERS.get(case.assignee_code or "") or OWNERS.get(case.org_code or "") or "operator"
    return {
        "decide": "supervisor",
        "resume": "supervisor",
        "callback": "resident",
        "supervise": "supervisor",
        "escalate": "worker",
        "warn": "system",
        "recount": "system",
    }.get(action, "operator")


def draw_step(data: st.DataObject, cases: list[Case]) -> Step:
    """Mostly an open case, an action that fits its status, by the right person; sometimes anything."""
    usual = st.sampled_from((True,) * 4 + (False,))
    open_cases = [i for i, case in enumerate(cases) if case.is_open]
    target = data.draw(st.sampled_from(open_cases if open_cases and data.draw(usual) else range(len(cases))))
    case = cases[target]
    fitting = NEXT[case.status] + (("decide",) * 6 if case.pending else ())
    action = data.draw(st.sampled_from(fitting if data.draw(usual) else ACTIONS))
    right = right_actor(action, case)
    actor = right if right == "system" or data.draw(usual) else data.draw(st.sampled_from(list(ACTORS)))
    return Step(target, action, actor, data.draw(st.integers(0, 4)), data.draw(st.sampled_from(MINUTES)))


def run(plan: list[Step], deadlines: DeadlinePolicy, *, start: datetime = T0) -> list[Case]:
    cases, now = [new_case(i) for i in range(3)], start
    for step in plan:
        now += timedelta(minutes=step.minutes)
        take(cases, step, now, deadlines)
    return cases


# ----------------------------------------------------------------------------- the properties


@pytest.mark.parametrize("policy", list(POLICIES))
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_random_lifecycles_by_random_roles_keep_every_invariant(policy: str, data: st.DataObject) -> None:
    deadlines = POLICIES[policy]
    cases, now = [new_case(i) for i in range(3)], T0
    for _ in range(data.draw(st.integers(10, 80), label="steps")):
        step = draw_step(data, cases)
        now += timedelta(minutes=step.minutes)
        take(cases, step, now, deadlines)
    for reached in {e.to_status for case in cases for e in case.history()}:
        event(f"reached {reached.value}")
    for lapsed in {
        (e.data["lapsed_request"], e.action) for c in cases for e in c.history() if "lapsed_request" in e.data
    }:
        event(f"{lapsed[0]} request lapsed on {lapsed[1].value}")


def test_a_plain_path_through_every_status_passes_every_check() -> None:
    """A guard for the checks themselves: the ordinary lifecycle satisfies them all, and every step works."""
    plan = [
        Step(0, "register", "operator"),
        Step(0, "dispatch", "operator", minutes=30),
        Step(0, "accept", "worker", minutes=30),
        Step(0, "start", "worker", minutes=30),
        Step(0, "suspend", "worker", minutes=30),
        Step(0, "decide", "supervisor", minutes=30),
        Step(0, "resume", "worker", minutes=1440),
        Step(0, "report", "worker", minutes=30),
        Step(0, "verify", "supervisor", variant=1, minutes=30),
        Step(0, "report", "worker", minutes=30),
        Step(0, "verify", "supervisor", minutes=30),
        Step(0, "callback", "resident", variant=2, minutes=30),
        Step(0, "reopen", "operator", minutes=30),
        Step(1, "merge", "operator", variant=1),
    ]
    seen = set()
    for policy in POLICIES.values():
        cases, now = [new_case(i) for i in range(3)], T0
        for step in plan:
            now += timedelta(minutes=step.minutes)
            assert take(cases, step, now, policy), step
            seen |= {c.status for c in cases}
    assert seen == set(Status)


# ----------------------------------------------------------------------------- fixed bugs (regressions)

PATH_TO_ACCEPTED = [
    Step(0, "register", "operator"),
    Step(0, "dispatch", "operator", minutes=10),
    Step(0, "accept", "worker", minutes=10),
]


# Each plan: the steps after acceptance, the event on which the request lapses, and where the case ends.
MOVED_ON: dict[str, tuple[list[Step], Action, str, Status]] = {
    # A return asked on an accepted case, then the work starts and is reported: approving it used to send a
    # handled case back to the desk (handled -> registered, handled_at kept). Starting the work lapses it.
    "return_then_work": (
        [
            Step(0, "return", "worker", minutes=10),
            Step(0, "start", "worker", minutes=10),
            Step(0, "report", "worker", minutes=10),
            Step(0, "decide", "supervisor", minutes=10),
        ],
        Action.START,
        "return",
        S.HANDLED,
    ),
    # A suspension asked in progress, then the result is reported: approving it used to suspend a handled
    # case. Reporting lapses it.
    "suspension_then_report": (
        [
            Step(0, "start", "worker", minutes=10),
            Step(0, "suspend", "worker", minutes=10),
            Step(0, "report", "worker", minutes=10),
            Step(0, "decide", "supervisor", minutes=10),
        ],
        Action.REPORT,
        "suspension",
        S.HANDLED,
    ),
    # An extension asked in progress, then the case closes: the request used to stay on the closed case,
    # where decide() refused it and, after a reopen, it blocked every new request. Reporting lapses it.
    "extension_then_close": (
        [
            Step(0, "start", "worker", minutes=10),
            Step(0, "extend", "worker", minutes=10),
            Step(0, "report", "worker", minutes=10),
            Step(0, "verify", "supervisor", minutes=10),
            Step(0, "decide", "supervisor", minutes=10),
        ],
        Action.REPORT,
        "extension",
        S.CLOSED,
    ),
}


@pytest.mark.parametrize("plan", list(MOVED_ON))
def test_a_request_lapses_when_the_case_moves_on(plan: str) -> None:
    steps, lapsing, kind, final = MOVED_ON[plan]
    case = run([*PATH_TO_ACCEPTED, *steps], POLICIES["natural"])[0]
    assert case.status is final and case.pending is None
    (lapsed,) = [e for e in case.history() if "lapsed_request" in e.data]
    assert (lapsed.action, lapsed.data["lapsed_request"]) == (lapsing, kind)
    assert not any(e.action in DECISIONS for e in case.history()), "a lapsed request was decided"
    assert case.return_count == 0 and case.handled_at is not None


def test_a_request_asked_again_after_a_lapse_is_decided_normally() -> None:
    """After a lapse nothing blocks a new request: rework, ask again, and the supervisor decides it."""
    steps = MOVED_ON["extension_then_close"][0][:3]  # start, extend, report: the extension lapses
    plan = [
        *PATH_TO_ACCEPTED,
        *steps,
        Step(0, "verify", "supervisor", variant=1, minutes=10),  # rework: back in progress
        Step(0, "extend", "worker", minutes=10),
        Step(0, "decide", "supervisor", minutes=10),
    ]
    case = run(plan, POLICIES["natural"])[0]
    assert [e.action for e in case.history()][-3:] == [
        Action.REWORK,
        Action.REQUEST_EXTENSION,
        Action.APPROVE_EXTENSION,
    ]
    assert case.extension_count == 1 and case.pending is None


def test_an_extension_asked_before_closing_is_never_approved_after_a_reopen() -> None:
    cases = run(
        [
            *PATH_TO_ACCEPTED,
            Step(0, "start", "worker", minutes=10),
            Step(0, "extend", "worker", minutes=10),  # due + 24 h
            Step(0, "report", "worker", minutes=10),  # the extension lapses
            Step(0, "verify", "supervisor", minutes=10),
            Step(0, "callback", "operator", variant=2, minutes=10),
            Step(0, "reopen", "operator", minutes=4320),  # a fresh 7 days from here
            Step(0, "decide", "supervisor", minutes=10),  # nothing waits: refused
        ],
        POLICIES["natural"],
    )
    case = cases[0]
    reopened = next(e.at for e in case.history() if e.action is Action.REOPEN)
    assert case.history()[-1].action is Action.REOPEN and case.extension_count == 0
    assert case.due == reopened + timedelta(days=7)


@pytest.mark.parametrize("action", ["comment", "supervise"])
def test_a_leader_changes_nothing(action: str) -> None:
    for variant in range(4):  # notes, photos, both; supervision orders with and without a valid response time
        case = run(
            [*PATH_TO_ACCEPTED, Step(0, action, "leader", variant=variant, minutes=10)], POLICIES["natural"]
        )[0]
        assert case.history()[-1].action is Action.ACCEPT
        assert case.supervision_count == 0 and case.photos == ()


def test_a_provisional_deadline_after_a_reopen_is_recounted_once_the_schedule_is_official() -> None:
    """An extension approved before the case closed does not pin the deadline of the reopened case."""
    calendar = ChinaWorkCalendar()
    old = CalendarDeadlines(calendar, WorkingHours(), TimeLimit.parse("2h working"))
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    plan = [
        Step(0, "register", "operator", variant=3),  # 15 working days
        Step(0, "dispatch", "operator", minutes=10),
        Step(0, "accept", "worker", minutes=10),
        Step(0, "start", "worker", minutes=10),
        Step(0, "extend", "worker", minutes=10),
        Step(0, "decide", "supervisor", minutes=10),
        Step(0, "report", "worker", minutes=1440),
        Step(0, "verify", "supervisor", minutes=10),
        Step(0, "callback", "operator", variant=2, minutes=10),
        Step(0, "reopen", "operator", minutes=20 * 1440),  # late December: the due time is in 2027
    ]
    case = run(plan, old, start=start)[0]
    assert case.extension_count == 1 and case.due_provisional
    official = YearSchedule(
        2027, frozenset({date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)}), frozenset()
    )
    new = CalendarDeadlines(calendar.with_schedule(official), WorkingHours(), old.accept_limit)
    reopened = case.history()[-1].at
    assert case.recount_deadline(at=reopened + timedelta(hours=1), deadlines=new)
    assert (case.due, case.due_provisional) == (new.due(reopened, LIMITS[3]).due, False)
    assert case.status in OPEN_STATUSES
    check_case(case, new)


def test_an_approved_extension_still_stands_against_a_recount() -> None:
    """Without a reopen, the approved date is kept: the recount leaves it alone."""
    calendar = ChinaWorkCalendar()
    old = CalendarDeadlines(calendar, WorkingHours(), TimeLimit.parse("2h working"))
    plan = [
        Step(0, "register", "operator", variant=3),  # 15 working days from late December: due in 2027
        Step(0, "dispatch", "operator", minutes=10),
        Step(0, "accept", "worker", minutes=10),
        Step(0, "start", "worker", minutes=10),
        Step(0, "extend", "worker", minutes=10),
        Step(0, "decide", "supervisor", minutes=10),
    ]
    case = run(plan, old, start=datetime(2026, 12, 21, 1, 0, tzinfo=UTC))[0]
    official = YearSchedule(2027, frozenset({date(2027, 1, 4), date(2027, 1, 5)}), frozenset())
    new = CalendarDeadlines(calendar.with_schedule(official), WorkingHours(), old.accept_limit)
    due = case.due
    assert case.extension_count == 1 and case.due_provisional
    assert not case.recount_deadline(at=case.history()[-1].at + timedelta(hours=1), deadlines=new)
    assert case.due == due


def test_an_extension_approved_after_a_recount_never_moves_the_deadline_earlier() -> None:
    calendar = ChinaWorkCalendar()
    old = CalendarDeadlines(calendar, WorkingHours(), TimeLimit.parse("2h working"))
    plan = [
        Step(0, "register", "operator", variant=3),  # 15 working days from late December: due in 2027
        Step(0, "dispatch", "operator", minutes=10),
        Step(0, "accept", "worker", minutes=10),
        Step(0, "start", "worker", minutes=10),
        Step(0, "extend", "worker", minutes=10),  # asks for the provisional due time + 24 h
    ]
    case = run(plan, old, start=datetime(2026, 12, 21, 1, 0, tzinfo=UTC))[0]
    holidays = YearSchedule(2027, frozenset(date(2027, 1, d) for d in range(1, 9)), frozenset())
    new = CalendarDeadlines(calendar.with_schedule(holidays), WorkingHours(), old.accept_limit)
    now = case.history()[-1].at + timedelta(hours=1)
    assert case.recount_deadline(at=now, deadlines=new)  # the official holidays push the due time a week on
    recounted = case.due
    case.decide(actor=SUPERVISOR, at=now + timedelta(hours=1), approve=True)
    assert case.due is not None and recounted is not None and case.due >= recounted
