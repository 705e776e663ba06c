"""Who decides a report: category settings, overrides, the desk's corrections and merged reporters (pure)."""

from __future__ import annotations

import pytest
from test_case_lifecycle import HANDLER, OPERATOR, RESIDENT, SEVEN_DAYS, WORKER, D, at, new_case

from civicgrid.domain.case_types import Action, Callback, Escalation, Satisfaction, Status
from civicgrid.domain.cases import IllegalTransition, NotPermitted, RuleViolation
from civicgrid.domain.dispatch_control import (
    AutoMode,
    CategorySettings,
    Choice,
    InvalidSetting,
    compare,
    duplicate_policy,
)
from civicgrid.domain.duplicates import DuplicatePolicy
from civicgrid.domain.roles import Actor

SYSTEM = Actor.system()
RATED = Callback(True, True, True, Satisfaction.SATISFIED, "")


def test_a_category_follows_the_default_unless_it_is_on_or_off() -> None:
    assert CategorySettings("C0101").threshold(0.8) == 0.8
    assert CategorySettings("C0101").threshold(None) is None
    assert CategorySettings("C0101", AutoMode.ON, 0.95).threshold(None) == 0.95
    assert CategorySettings("C0101", AutoMode.OFF).threshold(0.5) is None


@pytest.mark.parametrize(
    "kw",
    [
        {"auto_mode": AutoMode.ON},
        {"auto_mode": AutoMode.ON, "auto_min_confidence": 1.5},
        {"duplicate_radius_m": 0},
        {"duplicate_window_days": 0},
        {"duplicate_window_days": 400},
    ],
)
def test_impossible_settings_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(InvalidSetting):
        CategorySettings("C0101", **kw)  # type: ignore[arg-type]


def test_each_category_gets_its_own_duplicate_radius_and_window() -> None:
    policy = duplicate_policy(
        {"C0101": CategorySettings("C0101", duplicate_radius_m=50, duplicate_window_days=3)},
        DuplicatePolicy(),
    )
    assert policy.radius_for("C0101") == 50 and policy.radius_for("H0201") == 250
    assert policy.window_for("C0101").days == 3 and policy.window_for("H0201").days == 30


def test_a_decision_keeps_or_overrides_each_part_of_the_suggestion() -> None:
    same = compare("C0101", "chengguan", "P1", Choice("C0101", "chengguan", "P1"), dispatching=True)
    assert (same.category, same.org, same.assignee, same.overridden) == (True, True, True, False)
    other_worker = compare("C0101", "chengguan", "P1", Choice("C0101", "chengguan", "P2"), dispatching=True)
    assert other_worker.overridden and other_worker.org and not other_worker.assignee
    registered = compare("C0101", "chengguan", "P1", Choice("H0201"), dispatching=False)
    assert registered.overridden and (registered.org, registered.assignee) == (None, None)
    # A suggestion for the street's sub-centre names no organisation: choosing one is no override.
    subcentre = compare("C0101", None, None, Choice("C0101", "housing", None), dispatching=True)
    assert not subcentre.overridden and subcentre.org is None


def test_the_desk_corrects_the_category_when_registering() -> None:
    case = new_case()
    case.register(actor=OPERATOR, at=at(0.1), limit=SEVEN_DAYS, category_code="H0201")
    assert case.category_code == "H0201" and case.status is Status.REGISTERED
    event = case.history()[-1]
    assert event.data["category_from"] == "C0101" and event.data["category_to"] == "H0201"
    same = new_case()
    same.register(actor=OPERATOR, at=at(0.1), limit=SEVEN_DAYS, category_code="C0101")
    assert "category_from" not in same.history()[-1].data


def test_the_system_sends_a_case_straight_to_the_street() -> None:
    case = new_case()
    case.register(actor=SYSTEM, at=at(0.1), limit=SEVEN_DAYS)
    case.escalate(actor=SYSTEM, at=at(0.1), reason="无人负责", to=Escalation.STREET)
    assert case.escalation is Escalation.STREET
    assert case.history()[-1].data["from"] == "grid" and case.history()[-1].data["to"] == "street"
    with pytest.raises(RuleViolation):
        case.escalate(actor=SYSTEM, at=at(0.2), reason="再升", to=Escalation.COMMUNITY)


def test_a_merged_reporter_rates_once_the_survivor_is_resolved() -> None:
    survivor, duplicate = new_case(), new_case()
    duplicate.id, duplicate.number = 2, "20261102000002"
    duplicate.merge_into(actor=OPERATOR, at=at(0.1), target=survivor)
    with pytest.raises(RuleViolation):  # not resolved yet
        duplicate.record_follower_callback(actor=RESIDENT, at=at(1), callback=RATED, survivor=survivor)
    survivor.register(actor=OPERATOR, at=at(0.2), limit=SEVEN_DAYS)
    survivor.dispatch(actor=OPERATOR, at=at(0.3), org_code="D04", assignee_code="W001", deadlines=D)
    survivor.accept(actor=WORKER, at=at(0.5))
    survivor.start(actor=WORKER, at=at(1))
    survivor.report(actor=WORKER, at=at(2), note="已补装")
    survivor.verify(actor=OPERATOR, at=at(3), ok=True)
    with pytest.raises(NotPermitted):
        duplicate.record_follower_callback(actor=HANDLER, at=at(4), callback=RATED, survivor=survivor)
    stranger = new_case()
    stranger.id = 9
    with pytest.raises(RuleViolation):
        duplicate.record_follower_callback(actor=RESIDENT, at=at(4), callback=RATED, survivor=stranger)
    duplicate.record_follower_callback(actor=RESIDENT, at=at(4), callback=RATED, survivor=survivor)
    assert duplicate.status is Status.MERGED and duplicate.callback == RATED
    assert (duplicate.org_code, duplicate.assignee_code) == ("D04", "W001")
    assert duplicate.history()[-1].action is Action.CALLBACK
    assert duplicate.history()[-1].data["survivor"] == survivor.number
    with pytest.raises(RuleViolation):  # once
        duplicate.record_follower_callback(actor=RESIDENT, at=at(5), callback=RATED, survivor=survivor)
    with pytest.raises(IllegalTransition):  # only merged cases follow another
        survivor.record_follower_callback(actor=RESIDENT, at=at(5), callback=RATED, survivor=survivor)
