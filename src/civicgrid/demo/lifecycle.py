"""One case lived from submission to its end (or to ``end``) through ``Case``'s own methods."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from civicgrid.demo import rates, texts
from civicgrid.demo.staff import Staff
from civicgrid.demo.timing import daytime, minutes
from civicgrid.domain.case_types import ASSIGNED_STATUSES, Callback, Satisfaction, Source, Status, Warning
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.roles import Actor

if TYPE_CHECKING:  # the public types live in workload, which imports this module
    from civicgrid.demo.workload import WorkerRef

SWEEP = timedelta(minutes=5)  # the deadline sweep notices an overdue case within minutes


class Stop(Exception):
    """The history reached ``end``, or the open state the case is held in."""


class Life:
    """One case lived from submission to its end (or to ``end``) through the domain's own methods."""

    def __init__(self, staff: Staff, case: Case, hold: Status | None,
                 assignment: tuple[str, WorkerRef | None, WorkerRef | None],
                 original: Callable[[datetime], Case | None] | None) -> None:  # fmt: skip
        self.s, self.rng, self.case, self.hold, self.original = staff, staff.rng, case, hold, original
        self.org, self.worker, self.alternative = assignment
        self.actor = staff.assignee(self.org, self.worker)
        self.asides: list[tuple[datetime, str]] = []  # planned escalations, supervisions, comments
        self.clock: datetime | None = None  # when the running time limit started
        self.fast = False  # a two-hour emergency limit: everyone acts in minutes
        self.night = False  # a limit in natural hours: crews and desk work round the clock

    def run(self) -> None:
        try:
            self._done()
            self._intake()
        except Stop:
            pass

    # ----------------------------------------------------------- the clock
    def _last(self) -> datetime:
        return self.case.new_events[-1].at

    def _done(self) -> None:
        if self.case.status is self.hold:
            raise Stop

    def _until(self, t: datetime) -> datetime:
        """Move on to t, first firing the warnings and planned side steps that fall due by then."""
        last, end = self._last(), self.s.end
        if self.hold is not None:  # reach the held state before end, however late the case came in
            t = min(t, last + (end - last) / 3)
        t = max(t, last)
        while True:
            when, kind = self._next_aside()
            if when is None or when > t:
                break
            if when > end:
                raise Stop
            self._aside(max(when, self._last()), kind)
        if t > end:
            raise Stop
        return t

    def _next_aside(self) -> tuple[datetime | None, str]:
        when, kind = self.asides[0] if self.asides else (None, "")
        c = self.case
        if c.due is not None and self.clock is not None and c.status in ASSIGNED_STATUSES:
            warn = None
            if c.warning is Warning.NONE:
                warn, level = self.clock + (c.due - self.clock) * 0.8, "yellow"
            elif c.warning is Warning.YELLOW:
                warn, level = c.due + SWEEP, "red"
            if warn is not None and (when is None or warn < when):
                return warn, level
        return when, kind

    def _aside(self, at: datetime, kind: str) -> None:
        c, rng = self.case, self.rng
        if kind in ("yellow", "red"):
            c.mark_warning(at=at, level=Warning(kind))
            return
        heapq.heappop(self.asides)
        if not c.is_open:
            return
        if kind == "escalate" and c.escalation.above() is not None:
            actor = self.actor if rng.random() < 0.6 else self.s.operator()
            summon = (self.org,) if rng.random() < 0.4 else ()
            c.escalate(actor=actor, at=at, reason=texts.note(rng, "escalate"), summon=summon)
        elif kind == "supervise":
            respond = timedelta(hours=1 if self.fast else 24)
            c.supervise(actor=self.s.supervisor(), at=at, note=texts.note(rng, "supervise"),
                        respond_by=at + respond)  # fmt: skip
        elif kind == "comment" and c.is_assignee(self.actor):
            c.comment(actor=self.actor, at=at, note=texts.note(rng, "comment"))

    # ----------------------------------------------------------- the desk
    def _intake(self) -> None:
        c, rng, s = self.case, self.rng, self.s
        at = c.submitted_at + minutes(rng, {Source.HOTLINE: 8, Source.PATROL: 20}.get(c.source, 35), 0.8)
        if c.urgency is Urgency.EMERGENCY:
            at = c.submitted_at + minutes(rng, 4, 0.5)
        elif c.source is not Source.HOTLINE:
            at = daytime(rng, at, 8, 22)  # the web desk is staffed 08-22, the hotline round the clock
        t = self._until(at)
        if self.hold is None:
            target = self.original(t) if self.original is not None else None
            if target is not None and rng.random() < rates.MERGE:
                c.merge_into(actor=s.operator(), at=t, target=target, note="重复诉求，合并办理")
                return
            if self.original is None and rng.random() < rates.REJECT:
                c.reject(actor=s.operator(), at=t, reason=texts.note(rng, "reject"))
                return
        limit = s.limits(c.category_code, c.urgency)
        c.register(actor=s.operator(), at=t, limit=limit)
        self._done()
        self.fast = limit.unit is LimitUnit.HOURS and limit.amount <= 2
        self.night = limit.unit is LimitUnit.HOURS and limit.mode is LimitMode.NATURAL
        auto = c.source is Source.PATROL or rng.random() < 0.3  # routing rules dispatch a share at once
        delay = timedelta(seconds=rng.uniform(5, 90)) if auto else minutes(rng, 2 if self.fast else 15)
        self._dispatch(self._until(t + delay), self.worker, Actor.system() if auto else s.operator())
        self._sign()

    def _dispatch(self, t: datetime, worker: WorkerRef | None, by: Actor) -> None:
        code = worker.code if worker is not None else None
        self.case.dispatch(actor=by, at=t, org_code=self.org, assignee_code=code, deadlines=self.s.deadlines)
        self.clock = self.clock or self.case.dispatched_at
        self.actor = self.s.assignee(self.org, worker)
        self._done()

    # ----------------------------------------------------------- the assignee
    def _sign(self) -> None:
        c, rng = self.case, self.rng
        returning = self.hold is None and c.return_count == 0 and rng.random() < rates.RETURN
        before = returning and rng.random() < 0.7
        if before and self._return():
            return self._sign()
        c.accept(actor=self.actor, at=self._until(self._accept_time()))
        self._done()
        if returning and not before and self._return():
            return self._sign()
        t = self._until(self._last() + minutes(rng, 3 if self.fast else 20 if self.night else 40))
        c.start(actor=self.actor, at=t)
        self._done()
        self._work(t)

    def _accept_time(self) -> datetime:
        c, last = self.case, self._last()
        if self.night:
            return last + minutes(self.rng, 6 if self.fast else 15, 0.6)
        limit = self.s.deadlines.accept_limit
        if limit.unit is LimitUnit.HOURS and c.accept_due is not None:  # signed soon after the next opening
            last = max(last, c.accept_due - timedelta(hours=limit.amount))
        return last + minutes(self.rng, 25, 0.9)

    def _return(self) -> bool:
        """Ask to send the case back; when approved it goes out again to the alternative assignee."""
        c, rng, s = self.case, self.rng, self.s
        t = self._until(self._last() + minutes(rng, 30))
        c.request_return(actor=self.actor, at=t, reason=texts.note(rng, "return"))
        t = self._until(t + minutes(rng, 60))
        approve = rng.random() < rates.RETURN_APPROVED
        c.decide(
            actor=s.supervisor(),
            at=t,
            approve=approve,
            note="同意退回" if approve else "不同意退单，请继续办理",
        )
        if not approve:
            return False
        worker, self.alternative = self.alternative, None
        self._dispatch(self._until(t + minutes(rng, 20)), worker, s.operator())
        return True

    def _work(self, begin: datetime) -> None:
        """From the start of the work (or a reopening) to the report, then on to verification."""
        c, rng = self.case, self.rng
        assert c.due is not None and c.limit is not None and self.clock is not None
        median, sigma = rates.pace(self.org, c.limit)
        finish = self.clock + (c.due - self.clock) * rng.lognormvariate(math.log(median), sigma)
        finish = max(finish, begin + timedelta(minutes=10 if self.fast else 60))
        if self.hold is None:
            self._plan_asides(begin, finish)
        if self.hold is Status.SUSPENDED or (self.hold is None and rng.random() < rates.SUSPENSION):
            finish = self._suspend(begin, finish)
        if self.hold is None and not self.fast and rng.random() < rates.EXTENSION:
            finish = self._extend(finish)
        if not self.night and c.urgency is Urgency.NORMAL:
            finish = daytime(rng, finish)
        t = self._until(finish)
        c.report(actor=self.actor, at=t, note=texts.report_note(rng, self.org))
        self._done()
        self._verify(t)

    def _plan_asides(self, begin: datetime, finish: datetime) -> None:
        c, rng, span = self.case, self.rng, finish - begin
        assert c.due is not None and self.clock is not None
        if rng.random() < rates.COMMENT:
            heapq.heappush(self.asides, (begin + span * rng.uniform(0.05, 0.3), "comment"))
        if rng.random() < rates.ESCALATION:
            at = begin + span * rng.uniform(0.1, 0.6)
            heapq.heappush(self.asides, (at, "escalate"))
            if rng.random() < 0.3:  # the community cannot solve it either: on to the street
                heapq.heappush(self.asides, (at + minutes(rng, 600), "escalate"))
        if rng.random() < rates.SUPERVISION:
            urge = (
                c.due - (c.due - self.clock) * 0.1 if finish > c.due else begin + span * rng.uniform(0.3, 0.9)
            )
            heapq.heappush(self.asides, (max(urge, begin), "supervise"))

    def _suspend(self, begin: datetime, finish: datetime) -> datetime:
        c, rng, s = self.case, self.rng, self.s
        t = self._until(begin + (finish - begin) * rng.uniform(0.1, 0.5))
        c.request_suspension(actor=self.actor, at=t, reason=texts.note(rng, "suspension"))
        t = self._until(t + minutes(rng, 240))
        approve = self.hold is Status.SUSPENDED or rng.random() < rates.SUSPENSION_APPROVED
        c.decide(actor=s.supervisor(), at=t, approve=approve, note="同意挂账" if approve else "不同意挂账")
        if not approve:
            return finish
        self._done()
        resumed = self._until(t + timedelta(days=rng.lognormvariate(math.log(8), 0.6)))
        c.resume(actor=self.actor, at=resumed, deadlines=s.deadlines, note="恢复办理")
        return max(finish, t) + (resumed - t)

    def _extend(self, finish: datetime) -> datetime:
        c, rng, s = self.case, self.rng, self.s
        assert c.due is not None and c.limit is not None and self.clock is not None
        last = self._last()
        t = self._until(last + max(c.due - last, timedelta(hours=1)) * rng.uniform(0.4, 0.85))
        if c.limit.unit is LimitUnit.DAYS:
            extra = TimeLimit(rng.choice((3, 5, 7, 10)), LimitUnit.DAYS, c.limit.mode)
            new_due = s.deadlines.due(c.due, extra).due
        else:
            new_due = c.due + timedelta(hours=rng.choice((12, 24, 48)))
        c.request_extension(actor=self.actor, at=t, new_due=new_due, reason=texts.note(rng, "extension"))
        t = self._until(t + minutes(rng, 180))
        approve = rng.random() < rates.EXTENSION_APPROVED
        c.decide(actor=s.supervisor(), at=t, approve=approve, note="同意延期" if approve else "不同意延期")
        if approve:
            return t + (new_due - t) * (
                rng.uniform(1.0, 1.3) if rng.random() < 0.05 else rng.uniform(0.3, 0.95)
            )
        return max(finish, c.due + (c.due - self.clock) * rng.uniform(-0.15, 0.25))

    # ----------------------------------------------------------- closing
    def _verify(self, reported: datetime) -> None:
        c, rng, s = self.case, self.rng, self.s
        at = reported + minutes(rng, 20 if self.fast else 60 if self.night else 150, 0.9)
        t = self._until(at if self.night else daytime(rng, at, 8, 21))
        if rng.random() < (rates.REWORK if c.rework_count == 0 else 0.1):
            c.verify(actor=s.operator(), at=t, ok=False, note=texts.note(rng, "rework"))
            assert c.due is not None and self.clock is not None
            finish = t + max(
                timedelta(hours=1), (c.due - self.clock) * rng.lognormvariate(math.log(0.15), 0.6)
            )
            t = self._until(finish if self.night else daytime(rng, finish))
            c.report(actor=self.actor, at=t, note=texts.report_note(rng, self.org))
            return self._verify(t)
        c.verify(actor=s.operator(), at=t, ok=True, note="经核实已办结")
        self._callback(t)

    def _callback(self, closed: datetime) -> None:
        c, rng, s = self.case, self.rng, self.s
        if rng.random() >= (rates.CALLBACK_PATROL if c.source is Source.PATROL else rates.CALLBACK):
            return
        t = self._until(daytime(rng, closed + minutes(rng, 1200, 0.6), 9, 20))
        if rng.random() >= rates.CALLBACK_VALID:
            callback = Callback(valid=False, comment=texts.note(rng, "invalid_callback"))
        else:
            late = (
                c.rework_count > 0
                or c.reopen_count > 0
                or (c.due is not None and c.handled_at is not None and c.handled_at > c.due)
            )
            shares = rates.SATISFACTION_LATE if late else rates.SATISFACTION
            rating = rng.choices(tuple(Satisfaction), weights=shares)[0]
            callback = Callback(valid=True, contacted=rng.random() < rates.CONTACTED,
                                resolved=rng.random() < rates.RESOLVED[rating], satisfaction=rating,
                                comment=texts.note(rng, rating.value))  # fmt: skip
        c.record_callback(actor=s.operator(), at=t, callback=callback)
        if (
            callback.satisfaction is Satisfaction.UNSATISFIED
            and c.reopen_count == 0
            and rng.random() < rates.REOPEN
        ):
            t = self._until(t + minutes(rng, 180, 0.7))
            c.reopen(actor=s.operator(), at=t, deadlines=s.deadlines, reason=texts.note(rng, "reopen"))
            self.clock = t
            self._work(t)
