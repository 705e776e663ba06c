"""Every action against every status: the legal ones succeed, the others are refused and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from test_case_lifecycle import (
    OPERATOR,
    SEVEN_DAYS,
    SUPERVISOR,
    WORKER,
    D,
    at,
    dispatched,
    handled,
    new_case,
)

from civicgrid.domain.case_types import Callback, Satisfaction, Status
from civicgrid.domain.cases import Case, IllegalTransition, RuleViolation


def _registered() -> Case:
    case = new_case()
    case.register(actor=OPERATOR, at=at(0.1), limit=SEVEN_DAYS)
    return case


def _accepted() -> Case:
    case = dispatched()
    case.accept(actor=WORKER, at=at(0.5))
    return case


def _in_progress() -> Case:
    case = _accepted()
    case.start(actor=WORKER, at=at(1))
    return case


def _suspended() -> Case:
    case = _in_progress()
    case.request_suspension(actor=WORKER, at=at(2), reason="等待")
    case.decide(actor=SUPERVISOR, at=at(3), approve=True)
    return case


def _closed() -> Case:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    return case


def _evaluated() -> Case:
    case = _closed()
    case.record_callback(
        actor=OPERATOR, at=at(9), callback=Callback(True, True, False, Satisfaction.UNSATISFIED)
    )
    return case


def _merged() -> Case:
    target = dispatched()
    case = new_case()
    case.id = 2
    case.merge_into(actor=OPERATOR, at=at(1), target=target)
    return case


def _rejected() -> Case:
    case = new_case()
    case.reject(actor=OPERATOR, at=at(1), reason="不属于受理范围")
    return case


BUILDERS: dict[str, Callable[[], Case]] = {
    "submitted": new_case,
    "registered": _registered,
    "dispatched": dispatched,
    "accepted": _accepted,
    "in_progress": _in_progress,
    "suspended": _suspended,
    "handled": handled,
    "closed": _closed,
    "evaluated": _evaluated,
    "merged": _merged,
    "rejected": _rejected,
}
OPEN = {"submitted", "registered", "dispatched", "accepted", "in_progress", "suspended", "handled"}


def _target() -> Case:
    case = dispatched()
    case.id = 99
    return case


ACTIONS: dict[str, tuple[Callable[[Case], None], set[str]]] = {
    "register": (lambda c: c.register(actor=OPERATOR, at=at(20), limit=SEVEN_DAYS), {"submitted"}),
    "reject": (lambda c: c.reject(actor=OPERATOR, at=at(20), reason="x"), {"submitted"}),
    "merge": (
        lambda c: c.merge_into(actor=OPERATOR, at=at(20), target=_target()),
        {"submitted", "registered"},
    ),
    "dispatch": (
        lambda c: c.dispatch(actor=OPERATOR, at=at(20), org_code="D", assignee_code="W001", deadlines=D),
        {"registered"},
    ),
    "accept": (lambda c: c.accept(actor=WORKER, at=at(20)), {"dispatched"}),
    "request_return": (
        lambda c: c.request_return(actor=WORKER, at=at(20), reason="x"),
        {"dispatched", "accepted"},
    ),
    "start": (lambda c: c.start(actor=WORKER, at=at(20)), {"accepted"}),
    "report": (lambda c: c.report(actor=WORKER, at=at(20), note="x"), {"in_progress"}),
    "request_extension": (
        lambda c: c.request_extension(actor=WORKER, at=at(20), new_due=at(2000), reason="x"),
        {"accepted", "in_progress"},
    ),
    "request_suspension": (
        lambda c: c.request_suspension(actor=WORKER, at=at(20), reason="x"),
        {"accepted", "in_progress"},
    ),
    "resume": (lambda c: c.resume(actor=SUPERVISOR, at=at(20), deadlines=D), {"suspended"}),
    "verify": (lambda c: c.verify(actor=SUPERVISOR, at=at(20), ok=True), {"handled"}),
    "rework": (lambda c: c.verify(actor=SUPERVISOR, at=at(20), ok=False, note="x"), {"handled"}),
    "callback": (
        lambda c: c.record_callback(
            actor=OPERATOR, at=at(20), callback=Callback(True, True, True, Satisfaction.SATISFIED)
        ),
        {"closed"},
    ),
    "reopen": (lambda c: c.reopen(actor=OPERATOR, at=at(20), deadlines=D, reason="x"), {"evaluated"}),
    "escalate": (lambda c: c.escalate(actor=SUPERVISOR, at=at(20), reason="x"), OPEN),
    "supervise": (
        lambda c: c.supervise(actor=SUPERVISOR, at=at(20), note="x", respond_by=at(20) + timedelta(hours=4)),
        OPEN,
    ),
}
# A status is right but a rule of the case refuses it: a rejected case was never resolved, so no callback.
RULE_REFUSALS = {("callback", "rejected")}


@pytest.mark.parametrize("state", BUILDERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_against_status(action: str, state: str) -> None:
    call, legal = ACTIONS[action]
    case = BUILDERS[state]()
    before_status, before_events = case.status, len(case.history())
    if state in legal:
        call(case)
        assert len(case.history()) == before_events + 1
        history = case.history()
        assert history[-1].from_status is before_status and history[-1].to_status is case.status
        return
    expected = RuleViolation if (action, state) in RULE_REFUSALS else IllegalTransition
    with pytest.raises(expected):
        call(case)
    assert case.status is before_status and len(case.history()) == before_events


def test_the_table_covers_every_status() -> None:
    built = {BUILDERS[name]().status for name in BUILDERS}
    assert built == set(Status)
