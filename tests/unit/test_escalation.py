"""The escalation rule as sentences: warnings, one level per overdue period, counted in the limit's mode."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from civicgrid.domain.case_types import (
    Action,
    AreaChain,
    Escalation,
    Location,
    Reporter,
    Source,
    Status,
    Warning,
)
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import TimeLimit, WorkingHours
from civicgrid.domain.escalation import (
    ESCALATION_REASON,
    Assessment,
    EscalationRules,
    InvalidEscalationRules,
    assess,
    clock_start,
    limit_length,
    may_need_action,
    periods_overdue,
)
from civicgrid.domain.roles import Actor, Role
from civicgrid.services.deadline_policy import CalendarDeadlines

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id=2, name="李值班")
WORKER = Actor(role=Role.GRID_WORKER, id=3, name="张网格", worker_code="W001")
HOURS = WorkingHours()
RULES = EscalationRules()


class Weekdays:
    """Monday to Friday are workdays; no holidays (enough for the rule)."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5

    def is_provisional(self, day: date) -> bool:
        return False


CAL = Weekdays()
POLICY = CalendarDeadlines(CAL, HOURS, TimeLimit.parse("2h working"))


def h(hours: float, start: datetime = T0) -> datetime:
    return start + timedelta(hours=hours)


def case_with(limit: str, *, at: datetime = T0, accepted: bool = True) -> Case:
    case = Case.submit(
        actor=OPERATOR,
        at=at,
        source=Source.HOTLINE,
        category_code="C0101",
        urgency=Urgency.NORMAL,
        description="井盖缺失",
        location=Location(116.6, 35.4),
        areas=AreaChain("m1", "g1", "c1", "s1"),
        reporter=Reporter("张三", "13812341234"),
    )
    case.id, case.number = 1, "20261102000001"
    case.register(actor=OPERATOR, at=at, limit=TimeLimit.parse(limit))
    case.dispatch(actor=OPERATOR, at=at, org_code="D04", assignee_code="W001", deadlines=POLICY)
    if accepted:
        case.accept(actor=WORKER, at=at)
    return case


def check(case: Case, now: datetime, rules: EscalationRules = RULES) -> Assessment:
    return assess(case, now, CAL, HOURS, yellow_at=0.8, rules=rules)


def apply(case: Case, now: datetime, rules: EscalationRules = RULES) -> Assessment:
    """What the sweep does with an assessment."""
    wanted = check(case, now, rules)
    case.mark_warning(at=now, level=wanted.warning)
    for _ in range(wanted.escalations):
        case.escalate(actor=Actor.system(), at=now, reason=ESCALATION_REASON)
    return wanted


def test_a_period_is_a_share_of_the_limit_in_its_own_mode_and_at_least_an_hour() -> None:
    assert limit_length(TimeLimit.parse("24h natural"), HOURS) == timedelta(hours=24)
    assert limit_length(TimeLimit.parse("2d natural"), HOURS) == timedelta(days=2)
    assert limit_length(TimeLimit.parse("7d working"), HOURS) == timedelta(hours=52.5)
    assert RULES.period(TimeLimit.parse("2h natural"), HOURS) == timedelta(hours=1)
    assert RULES.period(TimeLimit.parse("24h natural"), HOURS) == timedelta(hours=6)
    assert RULES.period(TimeLimit.parse("7d working"), HOURS) == timedelta(hours=13, minutes=7, seconds=30)
    assert [periods_overdue(timedelta(hours=x), timedelta(hours=6)) for x in (0, 5.9, 6, 11, 12, 40)] == [
        0,
        0,
        1,
        1,
        2,
        6,
    ]


@pytest.mark.parametrize("share, at_least", [(0, timedelta(0)), (-0.1, timedelta(hours=1))])
def test_rules_without_a_positive_period_are_refused(share: float, at_least: timedelta) -> None:
    with pytest.raises(InvalidEscalationRules):
        EscalationRules(share=share, at_least=at_least)


def test_a_case_turns_yellow_then_red_then_climbs_one_level_per_period() -> None:
    case = case_with("24h natural")
    assert apply(case, h(10)) == Assessment(Warning.NONE, 0)
    assert apply(case, h(20)) == Assessment(Warning.YELLOW, 0)
    assert apply(case, h(25)) == Assessment(Warning.RED, 0)
    assert apply(case, h(29.9)).escalations == 0
    assert apply(case, h(30)).escalations == 1 and case.escalation is Escalation.COMMUNITY
    assert apply(case, h(35)).escalations == 0
    assert apply(case, h(36)).escalations == 1 and case.escalation is Escalation.STREET
    assert apply(case, h(42)).escalations == 1 and case.escalation is Escalation.DISTRICT
    assert apply(case, h(100)) == Assessment(Warning.RED, 0)  # never above the district
    escalations = [e for e in case.history() if e.action is Action.ESCALATE]
    assert [(e.actor_role, e.data["to"], e.note) for e in escalations] == [
        (Role.SYSTEM, "community", ESCALATION_REASON),
        (Role.SYSTEM, "street", ESCALATION_REASON),
        (Role.SYSTEM, "district", ESCALATION_REASON),
    ]


def test_the_rule_is_idempotent_at_one_moment() -> None:
    case = case_with("24h natural")
    apply(case, h(31))
    assert check(case, h(31)) == Assessment(Warning.RED, 0)


def test_a_sweep_that_missed_periods_catches_up_one_level_at_a_time() -> None:
    case = case_with("24h natural")
    assert apply(case, h(40)) == Assessment(Warning.RED, 2)
    assert case.escalation is Escalation.STREET


def test_escalations_by_people_do_not_count_as_steps_of_the_rule() -> None:
    case = case_with("24h natural")
    case.escalate(actor=WORKER, at=h(26), reason="需要社区协调")
    assert apply(case, h(30)).escalations == 1 and case.escalation is Escalation.STREET


def test_a_case_already_at_the_district_stays_there() -> None:
    case = case_with("2h natural")
    for at in (0.1, 0.2, 0.3):
        case.escalate(actor=OPERATOR, at=h(at), reason="重大事项")
    assert check(case, h(10)) == Assessment(Warning.RED, 0)


def test_an_approved_extension_starts_the_count_again_from_the_level_reached() -> None:
    case = case_with("24h natural")
    apply(case, h(31))  # community
    case.request_extension(actor=WORKER, at=h(31), new_due=h(48), reason="等待配件")
    case.decide(actor=SUPERVISOR, at=h(32), approve=True)
    assert case.warning is Warning.NONE
    assert apply(case, h(40)) == Assessment(Warning.NONE, 0)  # 8 h left of 24
    assert apply(case, h(44)) == Assessment(Warning.YELLOW, 0)  # 4 h left: under 20 %
    assert apply(case, h(53)) == Assessment(Warning.RED, 0)
    assert apply(case, h(54)).escalations == 1 and case.escalation is Escalation.STREET


def test_overdue_working_time_does_not_grow_over_nights_and_weekends() -> None:
    friday_1500 = datetime(2026, 11, 6, 7, 0, tzinfo=UTC)
    case = case_with("2h working", at=friday_1500)  # due Friday 17:00
    saturday_noon = datetime(2026, 11, 7, 4, 0, tzinfo=UTC)
    assert check(case, saturday_noon) == Assessment(Warning.RED, 0)  # only 30 working minutes late
    monday_0930 = datetime(2026, 11, 9, 1, 30, tzinfo=UTC)
    assert check(case, monday_0930).escalations == 1  # 17:00-17:30 and 08:30-09:30: one working hour
    monday_1230 = datetime(2026, 11, 9, 4, 30, tzinfo=UTC)
    assert check(case, monday_1230).escalations == 3  # lunch does not count either: 4 h, capped at 3


def test_a_handled_case_turns_red_but_waits_for_the_desk_without_escalating() -> None:
    case = case_with("24h natural")
    case.start(actor=WORKER, at=h(1))
    case.report(actor=WORKER, at=h(2), note="已修复")
    assert check(case, h(40)) == Assessment(Warning.RED, 0)
    everywhere = EscalationRules(statuses=frozenset({Status.IN_PROGRESS, Status.HANDLED}))
    assert check(case, h(40), everywhere) == Assessment(Warning.RED, 2)


def test_a_case_not_signed_for_in_time_turns_red() -> None:
    case = case_with("7d working", accepted=False)
    assert case.accept_due == h(2)
    assert check(case, h(1.9)) == Assessment(Warning.NONE, 0)
    assert check(case, h(2.5)) == Assessment(Warning.RED, 0)
    lenient = EscalationRules(red_when_unaccepted=False)
    assert check(case, h(2.5), lenient) == Assessment(Warning.NONE, 0)


def test_a_suspended_case_is_left_alone() -> None:
    case = case_with("24h natural")
    case.request_suspension(actor=WORKER, at=h(1), reason="等待法院判决")
    case.decide(actor=SUPERVISOR, at=h(2), approve=True)
    assert case.status is Status.SUSPENDED
    assert check(case, h(100)) == Assessment(Warning.NONE, 0)
    assert not may_need_action(case, h(100), CAL, HOURS, yellow_at=0.8, rules=RULES)


def test_a_return_does_not_restart_the_clock_of_the_warning() -> None:
    case = case_with("24h natural", accepted=False)
    case.request_return(actor=WORKER, at=h(1), reason="不属于本网格")
    case.decide(actor=SUPERVISOR, at=h(2), approve=True)
    case.dispatch(actor=OPERATOR, at=h(3), org_code="D04", assignee_code="W001", deadlines=POLICY)
    assert clock_start(case) == T0 and case.due == h(24)


@pytest.mark.parametrize(
    "limit, accepted",
    [("24h natural", True), ("2h natural", True), ("7d working", True), ("7d working", False)],
)
def test_the_cheap_pre_check_never_hides_a_case_the_rule_would_act_on(limit: str, accepted: bool) -> None:
    case = case_with(limit, accepted=accepted)
    passed_over = 0
    for quarter in range(0, 4 * 24 * 21):
        now = h(quarter / 4)
        wanted = check(case, now)
        acts = wanted.warning is not case.warning or wanted.escalations > 0
        hint = may_need_action(case, now, CAL, HOURS, yellow_at=0.8, rules=RULES)
        assert hint or not acts, (limit, now)
        passed_over += not hint
        apply(case, now)
    assert passed_over > 0  # and it does spare the sweep some loading
    assert case.escalation is Escalation.DISTRICT and case.warning is Warning.RED
