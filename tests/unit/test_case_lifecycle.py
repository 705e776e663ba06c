"""The case lifecycle as sentences: every legal path, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from civicgrid.domain.case_types import (
    Action,
    AreaChain,
    Callback,
    Escalation,
    Location,
    Outcome,
    Reporter,
    Satisfaction,
    Source,
    Status,
    Warning,
    mask_name,
    mask_phone,
)
from civicgrid.domain.cases import Case, IllegalTransition, NotPermitted, RuleViolation, StaleVersion
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import Deadline, LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.roles import Actor, Role

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing
SEVEN_DAYS = TimeLimit(7, LimitUnit.DAYS, LimitMode.NATURAL)

OPERATOR = Actor(role=Role.OPERATOR, id=1, name="王受理")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id=2, name="李值班")
WORKER = Actor(role=Role.GRID_WORKER, id=3, name="张网格", worker_code="W001")
OTHER_WORKER = Actor(role=Role.GRID_WORKER, id=4, name="赵网格", worker_code="W002")
HANDLER = Actor(role=Role.HANDLER, id=5, name="刘承办", org_code="D04")
RESIDENT = Actor(role=Role.RESIDENT, name="居民")
LEADER = Actor(role=Role.LEADER, id=6, name="领导")


class NaturalDeadlines:
    """Clock time only: enough to test the lifecycle without a calendar."""

    accept_limit = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)

    def due(self, start: datetime, limit: TimeLimit) -> Deadline:
        hours = limit.amount * (24 if limit.unit is LimitUnit.DAYS else 1)
        return Deadline(due=start + timedelta(hours=hours), provisional=False)

    def shift(self, due: datetime, paused_from: datetime, paused_to: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(due=due + (paused_to - paused_from), provisional=False)


D = NaturalDeadlines()


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_case() -> Case:
    case = Case.submit(
        actor=RESIDENT,
        at=T0,
        source=Source.WEB,
        category_code="C0101",
        urgency=Urgency.NORMAL,
        description="小区门口井盖缺失",
        location=Location(116.6, 35.4, "柳行街道东苑小区门口"),
        areas=AreaChain("m1", "g1", "c1", "s1"),
        reporter=Reporter("张三", "13812341234"),
    )
    case.id, case.number = 1, "20261102000001"
    return case


def dispatched(assignee: str | None = "W001", org: str = "D04") -> Case:
    case = new_case()
    case.register(actor=OPERATOR, at=at(0.1), limit=SEVEN_DAYS)
    case.dispatch(actor=OPERATOR, at=at(0.2), org_code=org, assignee_code=assignee, deadlines=D)
    return case


def handled() -> Case:
    case = dispatched()
    case.accept(actor=WORKER, at=at(0.5))
    case.start(actor=WORKER, at=at(1))
    case.report(actor=WORKER, at=at(5), note="已补装井盖", photos=("p1.jpg",))
    return case


def test_a_new_report_is_submitted_with_one_event() -> None:
    case = new_case()
    assert case.status is Status.SUBMITTED
    assert [e.action for e in case.history()] == [Action.SUBMIT]


def test_the_full_happy_path_ends_evaluated_with_a_complete_ordered_history() -> None:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    assert case.status is Status.CLOSED and case.outcome is Outcome.RESOLVED
    case.record_callback(
        actor=OPERATOR, at=at(30), callback=Callback(True, True, True, Satisfaction.SATISFIED, "很快")
    )
    assert case.status is Status.EVALUATED
    history = case.history()
    assert [e.action for e in history] == [
        Action.SUBMIT,
        Action.REGISTER,
        Action.DISPATCH,
        Action.ACCEPT,
        Action.START,
        Action.REPORT,
        Action.VERIFY,
        Action.CALLBACK,
    ]
    assert [e.seq for e in history] == list(range(1, 9))
    for before, after in pairwise(history):
        assert after.from_status == before.to_status


def test_dispatch_sets_the_deadline_and_the_acceptance_deadline() -> None:
    case = dispatched()
    assert case.due == at(0.2) + timedelta(days=7)
    assert case.accept_due == at(2.2)


def test_rejected_report_closes_as_rejected_and_needs_a_reason() -> None:
    case = new_case()
    with pytest.raises(RuleViolation):
        case.reject(actor=OPERATOR, at=at(1), reason="  ")
    case.reject(actor=OPERATOR, at=at(1), reason="不属于受理范围")
    assert case.status is Status.CLOSED and case.outcome is Outcome.REJECTED


def test_rejected_case_gets_no_callback() -> None:
    case = new_case()
    case.reject(actor=OPERATOR, at=at(1), reason="重复")
    with pytest.raises(RuleViolation):
        case.record_callback(actor=OPERATOR, at=at(2), callback=Callback(False))


@pytest.mark.parametrize(
    ("make", "act"),
    [
        (new_case, lambda c: c.accept(actor=WORKER, at=at(1))),
        (
            new_case,
            lambda c: c.dispatch(actor=OPERATOR, at=at(1), org_code="D", assignee_code=None, deadlines=D),
        ),
        (new_case, lambda c: c.verify(actor=SUPERVISOR, at=at(1), ok=True)),
        (dispatched, lambda c: c.register(actor=OPERATOR, at=at(1), limit=SEVEN_DAYS)),
        (dispatched, lambda c: c.report(actor=WORKER, at=at(1), note="x")),
        (dispatched, lambda c: c.start(actor=WORKER, at=at(1))),
        (handled, lambda c: c.accept(actor=WORKER, at=at(9))),
        (handled, lambda c: c.reject(actor=OPERATOR, at=at(9), reason="x")),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(make, act) -> None:  # type: ignore[no-untyped-def]
    case = make()
    before = (case.status, len(case.history()))
    with pytest.raises(IllegalTransition):
        act(case)
    assert (case.status, len(case.history())) == before


def test_only_the_assignee_may_accept() -> None:
    case = dispatched()
    with pytest.raises(NotPermitted):
        case.accept(actor=OTHER_WORKER, at=at(1))
    with pytest.raises(NotPermitted):
        case.accept(actor=OPERATOR, at=at(1))
    case.accept(actor=WORKER, at=at(1))
    assert case.status is Status.ACCEPTED


def test_a_department_handler_accepts_a_case_sent_to_the_department_without_a_worker() -> None:
    case = dispatched(assignee=None, org="D04")
    with pytest.raises(NotPermitted):
        case.accept(actor=Actor(role=Role.HANDLER, org_code="D05"), at=at(1))
    case.accept(actor=HANDLER, at=at(1))
    assert case.status is Status.ACCEPTED


def test_residents_and_leaders_cannot_dispatch() -> None:
    case = new_case()
    case.register(actor=OPERATOR, at=at(0.1), limit=SEVEN_DAYS)
    for actor in (RESIDENT, LEADER, WORKER):
        with pytest.raises(NotPermitted):
            case.dispatch(actor=actor, at=at(1), org_code="D04", assignee_code=None, deadlines=D)


def test_returned_case_goes_back_to_the_dispatcher_once_a_supervisor_approves() -> None:
    case = dispatched()
    due = case.due
    case.request_return(actor=WORKER, at=at(1), reason="不属于本网格")
    assert case.status is Status.DISPATCHED and case.pending is not None
    with pytest.raises(NotPermitted):
        case.decide(actor=OPERATOR, at=at(2), approve=True)
    case.decide(actor=SUPERVISOR, at=at(2), approve=True)
    assert case.status is Status.REGISTERED
    assert case.assignee_code is None and case.return_count == 1 and case.pending is None
    case.dispatch(actor=OPERATOR, at=at(3), org_code="D05", assignee_code="W002", deadlines=D)
    assert case.due == due  # a return does not restart the clock


def test_denied_return_keeps_the_case_with_the_worker() -> None:
    case = dispatched()
    case.request_return(actor=WORKER, at=at(1), reason="不属于本网格")
    case.decide(actor=SUPERVISOR, at=at(2), approve=False, note="属于本网格")
    assert case.status is Status.DISPATCHED and case.assignee_code == "W001"
    assert case.history()[-1].action is Action.DENY_RETURN


def test_a_second_request_waits_for_the_first() -> None:
    case = dispatched()
    case.request_return(actor=WORKER, at=at(1), reason="a")
    with pytest.raises(RuleViolation):
        case.request_return(actor=WORKER, at=at(1), reason="b")


def test_extension_moves_the_deadline_only_when_approved() -> None:
    case = dispatched()
    case.accept(actor=WORKER, at=at(1))
    due = case.due
    assert due is not None
    new_due = due + timedelta(days=3)
    case.request_extension(actor=WORKER, at=at(2), new_due=new_due, reason="需采购配件")
    assert case.due == due
    case.decide(actor=SUPERVISOR, at=at(3), approve=True)
    assert case.due == new_due and case.extension_count == 1


def test_an_extension_must_move_the_deadline_later() -> None:
    case = dispatched()
    case.accept(actor=WORKER, at=at(1))
    assert case.due is not None
    with pytest.raises(RuleViolation):
        case.request_extension(actor=WORKER, at=at(2), new_due=case.due - timedelta(hours=1), reason="x")


def test_suspension_pauses_the_clock_and_resume_adds_the_paused_time() -> None:
    case = dispatched()
    case.accept(actor=WORKER, at=at(1))
    case.start(actor=WORKER, at=at(2))
    due = case.due
    assert due is not None
    case.request_suspension(actor=WORKER, at=at(3), reason="等待法院判决")
    case.decide(actor=SUPERVISOR, at=at(4), approve=True)
    assert case.status is Status.SUSPENDED
    assert not case.is_overdue(due + timedelta(days=1))
    case.resume(actor=SUPERVISOR, at=at(28), deadlines=D)
    assert case.status is Status.IN_PROGRESS
    assert case.due == due + timedelta(hours=24)


def test_failed_verification_sends_the_case_back_for_rework() -> None:
    case = handled()
    with pytest.raises(RuleViolation):
        case.verify(actor=SUPERVISOR, at=at(6), ok=False, note="")
    case.verify(actor=SUPERVISOR, at=at(6), ok=False, note="井盖型号不符")
    assert case.status is Status.IN_PROGRESS and case.rework_count == 1
    case.report(actor=WORKER, at=at(8), note="已更换")
    assert case.status is Status.HANDLED


def test_unsatisfied_callback_may_reopen_the_case_with_a_fresh_limit() -> None:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    case.record_callback(
        actor=OPERATOR, at=at(30), callback=Callback(True, True, False, Satisfaction.UNSATISFIED)
    )
    case.reopen(actor=OPERATOR, at=at(31), deadlines=D, reason="居民反映仍未修好")
    assert case.status is Status.IN_PROGRESS and case.reopen_count == 1
    assert case.due == at(31) + timedelta(days=7)
    assert case.outcome is None and case.callback is not None


def test_a_satisfied_case_cannot_be_reopened() -> None:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    case.record_callback(
        actor=OPERATOR, at=at(30), callback=Callback(True, True, True, Satisfaction.SATISFIED)
    )
    with pytest.raises(RuleViolation):
        case.reopen(actor=OPERATOR, at=at(31), deadlines=D, reason="x")


def test_a_valid_callback_needs_a_rating() -> None:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    with pytest.raises(RuleViolation):
        case.record_callback(actor=OPERATOR, at=at(30), callback=Callback(True, True, True, None))


def test_escalation_climbs_the_grid_chain_and_stops_at_the_district() -> None:
    case = dispatched()
    for level in (Escalation.COMMUNITY, Escalation.STREET, Escalation.DISTRICT):
        case.escalate(actor=WORKER, at=at(1), reason="需要上级协调", summon=("D01",))
        assert case.escalation is level
    with pytest.raises(RuleViolation):
        case.escalate(actor=SUPERVISOR, at=at(2), reason="again")
    assert case.status is Status.DISPATCHED
    assert list(case.history()[-1].data["summon"]) == ["D01"]


def test_supervision_order_needs_a_future_response_time() -> None:
    case = dispatched()
    with pytest.raises(RuleViolation):
        case.supervise(actor=SUPERVISOR, at=at(2), note="加快办理", respond_by=at(1))
    case.supervise(actor=SUPERVISOR, at=at(2), note="加快办理", respond_by=at(26))
    with pytest.raises(NotPermitted):  # leaders read; they do not act on cases
        case.supervise(actor=LEADER, at=at(3), note="加快办理", respond_by=at(26))
    assert case.supervision_count == 1 and case.status is Status.DISPATCHED


def test_closed_cases_cannot_be_escalated_or_supervised() -> None:
    case = handled()
    case.verify(actor=SUPERVISOR, at=at(6), ok=True)
    with pytest.raises(IllegalTransition):
        case.escalate(actor=SUPERVISOR, at=at(7), reason="x")
    with pytest.raises(IllegalTransition):
        case.supervise(actor=SUPERVISOR, at=at(7), note="x", respond_by=at(9))


def test_merge_into_an_open_case() -> None:
    target = dispatched()
    dup = new_case()
    dup.id = 2
    dup.merge_into(actor=OPERATOR, at=at(1), target=target)
    assert dup.status is Status.MERGED and dup.merged_into == target.id
    with pytest.raises(RuleViolation):
        other = new_case()
        other.merge_into(actor=OPERATOR, at=at(1), target=other)


def test_warning_only_rises() -> None:
    case = dispatched()
    assert case.mark_warning(at=at(100), level=Warning.YELLOW)
    assert not case.mark_warning(at=at(101), level=Warning.YELLOW)
    assert case.mark_warning(at=at(200), level=Warning.RED)
    assert not case.mark_warning(at=at(201), level=Warning.YELLOW)
    assert case.warning is Warning.RED


def test_overdue_only_while_the_clock_runs() -> None:
    case = dispatched()
    assert case.due is not None
    assert not case.is_overdue(case.due - timedelta(seconds=1))
    assert case.is_overdue(case.due + timedelta(seconds=1))


def test_stale_version_is_refused() -> None:
    case = dispatched()
    case.version = 4
    case.check_version(4)
    with pytest.raises(StaleVersion):
        case.check_version(3)


def test_comment_by_an_unrelated_worker_is_refused() -> None:
    case = dispatched()
    with pytest.raises(NotPermitted):
        case.comment(actor=OTHER_WORKER, at=at(1), note="hi")
    case.comment(actor=WORKER, at=at(1), note="", photos=("a.jpg",))
    assert case.history()[-1].action is Action.ADD_PHOTOS and case.photos == ("a.jpg",)


def test_personal_data_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("张三丰") == "张**"
    assert Reporter("张三", "13812341234").masked() == Reporter("张*", "138****1234")


def test_contact_details_in_public_text_are_masked_by_one_rule() -> None:
    from civicgrid.domain.case_types import mask_contact_details

    text = (
        "请联系138 1234 5678或0537-1234567，邮箱 a.b@example.cn，身份证37080219900101123X，+86-139-0000-1111"
    )
    masked = mask_contact_details(text)
    for secret in ("1234 5678", "1234567", "example.cn", "19900101123X", "0000-1111"):
        assert secret not in masked
    assert mask_contact_details("3号楼下井盖缺失，温度<5度") == "3号楼下井盖缺失，温度<5度"


def test_the_reporters_own_name_and_phone_are_masked_in_public_text_in_any_shape() -> None:
    from civicgrid.domain.case_types import mask_contact_details

    text = "王小明报：井盖缺失，回电13812341234；门牌A"
    masked = mask_contact_details(text, "王小明", "13812341234", "A", None)
    assert masked == "***报：井盖缺失，回电***；门牌A"  # a one-letter value would mask ordinary words


def test_a_list_row_shows_the_reporter_in_full_only_to_whom_the_case_needs_it() -> None:
    from civicgrid.domain.access import reporter_seen_by

    reporter = Reporter("张三", "13812341234")
    held = {"assignee_code": "F0001", "org_code": "chengguan"}
    assignee = Actor(role=Role.GRID_WORKER, worker_code="F0001")
    other = Actor(role=Role.GRID_WORKER, worker_code="F0002")
    assert reporter_seen_by(Actor(role=Role.OPERATOR), reporter, **held) == reporter
    assert reporter_seen_by(assignee, reporter, **held) == reporter
    assert reporter_seen_by(other, reporter, **held) == Reporter("张*", "138****1234")
    assert reporter_seen_by(Actor(role=Role.LEADER), reporter, **held) == Reporter("张*", "138****1234")
