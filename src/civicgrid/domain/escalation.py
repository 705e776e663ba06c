"""The deadline sweep's rule (按规则升级): which warning a case should show and when it goes up a level.

What the sweep does to a case that is being worked on (dispatched, accepted, in progress or handled):

* **Warnings.** Yellow once ``yellow_at`` (80 %) of the time limit is used, red once the due time has
  passed (``deadlines.warning_level``). A case still waiting to be signed for (签收) after its acceptance
  deadline turns red as well (``red_when_unaccepted``): the acceptance limit is a time limit too.
  Warnings only rise (``Case.mark_warning``); an approved extension or a reopening clears them.
* **Escalation.** A case overdue by one *period* escalates one level (grid -> community -> street ->
  district), and one more after each further period, never above the district. A period is ``share``
  of the limit's length (25 %), never shorter than ``at_least`` (1 h), and counted in the limit's own
  mode: for a working-time limit nights, weekends and holidays do not count. With the defaults: a 2 h
  emergency escalates 1, 2 and 3 h after its due time; a 24 h limit after 6, 12 and 18 h; 7 working days
  (52.5 working hours) after each further 13 h 07 min 30 s of working time, about 1.75 working days.
* **Counted against the standing due time.** After k periods the rule wants k escalations of its own
  since the due time; escalations recorded by the system after the current due time are the ones already
  made. So a second sweep at the same moment does nothing, a sweep that missed periods catches up (one
  event per level), escalations by people do not count (a case a worker handed to the community goes
  on to the street at the first period), and a new due time (extension, resumption, reopening) starts
  the count again from the level the case has reached.
* A **handled** case (result reported, waiting for verification) turns red but does not escalate by
  default: the unit has answered; what is late is the desk's check. Suspended (挂账) cases and closed,
  evaluated or merged ones are never touched: their clock is stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from civicgrid.domain.case_types import ASSIGNED_STATUSES, Action, Escalation, Status, Warning
from civicgrid.domain.cases import Case
from civicgrid.domain.deadlines import (
    LimitMode,
    LimitUnit,
    TimeLimit,
    WorkCalendar,
    WorkingHours,
    elapsed,
    warning_level,
)
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Role

ESCALATION_REASON = N_("Overdue past the escalation period: escalated by rule.")
_LEVELS = list(Escalation)
_ORDER = list(Warning)
_TICK = timedelta(microseconds=1)  # a period is never zero, whatever the share
_ROUNDING = timedelta(seconds=1)  # slack for float shares of a timedelta in the cheap pre-check


class InvalidEscalationRules(DomainError):
    code = "invalid_escalation_rules"
    message = N_("An escalation period must be longer than zero (share {share}, at least {at_least}).")


@dataclass(frozen=True)
class EscalationRules:
    """The configurable thresholds of the rule (see the module docstring)."""

    share: float = 0.25  # a period is this share of the limit's length ...
    at_least: timedelta = timedelta(hours=1)  # ... but never shorter than this
    statuses: frozenset[Status] = field(
        default_factory=lambda: frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS})
    )  # statuses in which an overdue case escalates (warnings cover every assigned status)
    red_when_unaccepted: bool = True

    def __post_init__(self) -> None:
        if self.share < 0 or self.at_least < timedelta(0) or (self.share == 0 and not self.at_least):
            raise InvalidEscalationRules(share=self.share, at_least=str(self.at_least))

    def period(self, limit: TimeLimit, hours: WorkingHours) -> timedelta:
        """How long, in the limit's own mode, a case stays overdue before each escalation."""
        return max(limit_length(limit, hours) * self.share, self.at_least, _TICK)


class Timed(Protocol):
    """What the pre-check needs of a case; a database row carries it without the history."""

    @property
    def status(self) -> Status: ...
    @property
    def due(self) -> datetime | None: ...
    @property
    def accept_due(self) -> datetime | None: ...
    @property
    def limit(self) -> TimeLimit | None: ...
    @property
    def warning(self) -> Warning: ...
    @property
    def escalation(self) -> Escalation: ...


@dataclass(frozen=True)
class Assessment:
    """What the rule asks for now: the warning the case should show and how many levels to go up."""

    warning: Warning
    escalations: int


def limit_length(limit: TimeLimit, hours: WorkingHours) -> timedelta:
    """The nominal length of a limit in its own mode (a working day weighs its working periods)."""
    if limit.unit is LimitUnit.HOURS:
        return timedelta(hours=limit.amount)
    if limit.mode is LimitMode.NATURAL:
        return timedelta(days=limit.amount)
    return limit.amount * hours.day_length


def periods_overdue(overdue: timedelta, period: timedelta) -> int:
    """Escalations the rule wants after being ``overdue`` this long: one per whole period."""
    if overdue <= timedelta(0):
        return 0
    return overdue // period


def clock_start(case: Case) -> datetime | None:
    """When the standing time limit began: the first dispatch (a return does not restart it) or reopening."""
    start: datetime | None = None
    for event in case.history():
        if (event.action is Action.DISPATCH and start is None) or event.action is Action.REOPEN:
            start = event.at
    return start or case.dispatched_at


def rule_escalations_since_due(case: Case) -> int:
    """Escalations the system already made against the standing due time."""
    due = case.due
    if due is None:
        return 0
    return sum(
        1
        for e in case.history()
        if e.action is Action.ESCALATE and e.actor_role is Role.SYSTEM and e.at > due
    )


def assess(
    case: Case,
    now: datetime,
    calendar: WorkCalendar,
    hours: WorkingHours,
    *,
    yellow_at: float,
    rules: EscalationRules,
) -> Assessment:
    """The warning ``case`` should show at ``now`` and how many levels it must go up (0 when none)."""
    if case.status not in ASSIGNED_STATUSES or case.due is None or case.limit is None:
        return Assessment(case.warning, 0)
    start = clock_start(case) or case.due
    level = warning_level(now, start, case.due, case.limit, calendar, hours, yellow_at)
    if _late_to_accept(case, now, rules):
        level = Warning.RED
    steps = 0
    if case.status in rules.statuses and now > case.due:
        overdue = elapsed(case.due, now, case.limit.mode, calendar, hours)
        wanted = periods_overdue(overdue, rules.period(case.limit, hours))
        room = len(_LEVELS) - 1 - _LEVELS.index(case.escalation)
        steps = max(0, min(wanted - rule_escalations_since_due(case), room))
    return Assessment(max(level, case.warning, key=_ORDER.index), steps)


def may_need_action(
    item: Timed,
    now: datetime,
    calendar: WorkCalendar,
    hours: WorkingHours,
    *,
    yellow_at: float,
    rules: EscalationRules,
) -> bool:
    """A cheap check without the history: False only when ``assess`` surely asks for nothing.

    It lets the sweep skip loading the events of the many cases that are far from their deadline.
    """
    due, limit = item.due, item.limit
    if item.status not in ASSIGNED_STATUSES or due is None or limit is None:
        return False
    if now > due:
        can_escalate = item.status in rules.statuses and item.escalation is not Escalation.DISTRICT
        if can_escalate and elapsed(due, now, limit.mode, calendar, hours) >= rules.period(limit, hours):
            return True
        return item.warning is not Warning.RED
    if item.warning is Warning.RED:
        return False
    if _late_to_accept(item, now, rules):
        return True
    if item.warning is Warning.YELLOW:
        return False
    # Yellow needs what is left <= (1 - yellow_at) of the span; a span is at most one day longer.
    longest = limit_length(limit, hours)
    if limit.mode is LimitMode.WORKING and limit.unit is LimitUnit.DAYS:  # the rest of the day of receipt
        longest += hours.day_length
    left = elapsed(now, due, limit.mode, calendar, hours)
    return left <= longest * (1 - yellow_at) + _ROUNDING


def _late_to_accept(item: Timed, now: datetime, rules: EscalationRules) -> bool:
    return (
        rules.red_when_unaccepted
        and item.status is Status.DISPATCHED
        and item.accept_due is not None
        and now > item.accept_due
    )
