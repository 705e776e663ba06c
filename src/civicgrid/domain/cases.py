"""The case (诉求/事件) aggregate and its lifecycle.

Every method is one transition of DOMAIN.md: it checks the actor's role, the current status and the
rule's preconditions, changes the case and appends one immutable event. Anything else raises a
``DomainError`` and leaves the case untouched (checks come before the first assignment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

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
    PendingRequest,
    Reporter,
    Satisfaction,
    Source,
    Status,
    Warning,
)
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import Deadline, TimeLimit
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import DESK_ROLES, Actor, Role


class IllegalTransition(DomainError):
    code = "illegal_transition"
    message = N_("Cannot {action} a case that is {status}.")


class NotPermitted(DomainError):
    code = "forbidden"
    message = N_("You may not {action} this case.")


class StaleVersion(DomainError):
    code = "stale_version"
    message = N_("The case changed since you loaded it (version {expected}, now {actual}); reload and retry.")


class RuleViolation(DomainError):
    code = "rule_violation"
    message = N_("{detail}")


class DeadlinePolicy(Protocol):
    """Turns a time limit into a due time; the service layer backs it with the working calendar."""

    def due(self, start: datetime, limit: TimeLimit) -> Deadline: ...

    def shift(
        self, due: datetime, paused_from: datetime, paused_to: datetime, limit: TimeLimit
    ) -> Deadline: ...

    @property
    def accept_limit(self) -> TimeLimit: ...


SUPERVISORS = frozenset({Role.SUPERVISOR, Role.SYSTEM})


@dataclass
class Case:
    """A citizen request or urban-management event and its full history."""

    source: Source
    category_code: str
    urgency: Urgency
    description: str
    location: Location
    areas: AreaChain
    reporter: Reporter
    submitted_at: datetime
    id: int | None = None
    number: str | None = None
    status: Status = Status.SUBMITTED
    version: int = 0
    limit: TimeLimit | None = None
    org_code: str | None = None
    assignee_code: str | None = None
    registered_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    handled_at: datetime | None = None
    closed_at: datetime | None = None
    evaluated_at: datetime | None = None
    suspended_at: datetime | None = None
    accept_due: datetime | None = None
    due: datetime | None = None
    due_provisional: bool = False
    outcome: Outcome | None = None
    merged_into: int | None = None
    escalation: Escalation = Escalation.GRID
    warning: Warning = Warning.NONE
    pending: PendingRequest | None = None
    callback: Callback | None = None
    return_count: int = 0
    rework_count: int = 0
    reopen_count: int = 0
    extension_count: int = 0
    supervision_count: int = 0
    photos: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)  # answers to the category's questions
    events: list[CaseEvent] = field(default_factory=list)
    new_events: list[CaseEvent] = field(default_factory=list, repr=False)

    # ----------------------------------------------------------------- creation
    @classmethod
    def submit(
        cls,
        *,
        actor: Actor,
        at: datetime,
        source: Source,
        category_code: str,
        urgency: Urgency,
        description: str,
        location: Location,
        areas: AreaChain,
        reporter: Reporter,
        photos: tuple[str, ...] = (),
        attributes: dict[str, Any] | None = None,
    ) -> Case:
        """A new report (上报)."""
        if not description.strip():
            raise RuleViolation(detail=N_("A report needs a description."))
        case = cls(
            source=source,
            category_code=category_code,
            urgency=urgency,
            description=description.strip(),
            location=location,
            areas=areas,
            reporter=reporter,
            submitted_at=at,
            photos=photos,
            attributes=dict(attributes or {}),
        )
        case._record(Action.SUBMIT, actor, at, None, attachments=photos)
        return case

    # --------------------------------------------------------------- properties
    @property
    def is_open(self) -> bool:
        """Still in the hands of someone (not closed, evaluated or merged)."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        """Past its due time while the clock runs (suspended cases are paused)."""
        return self.due is not None and self.status in ASSIGNED_STATUSES and now > self.due

    def check_version(self, expected: int | None) -> None:
        """Refuse an action taken on a stale copy (two people at once: one wins)."""
        if expected is not None and expected != self.version:
            raise StaleVersion(expected=expected, actual=self.version)

    def is_assignee(self, actor: Actor) -> bool:
        """The grid worker it is assigned to, or a handler of the responsible organisation."""
        if actor.role is Role.GRID_WORKER:
            return actor.worker_code is not None and actor.worker_code == self.assignee_code
        if actor.role is Role.HANDLER:
            return (
                actor.org_code is not None and actor.org_code == self.org_code and self.assignee_code is None
            )
        return False

    # -------------------------------------------------------------- intake desk
    def register(
        self,
        *,
        actor: Actor,
        at: datetime,
        limit: TimeLimit,
        note: str = "",
        category_code: str | None = None,
    ) -> None:
        """Accept the report as a case (立案) with the time limit of its category and urgency.

        ``category_code``: the desk corrects the reporter's category (``limit`` is then the new one's).
        """
        self._require(Action.REGISTER, actor, DESK_ROLES, {Status.SUBMITTED})
        data: dict[str, Any] = {"limit": str(limit)}
        if category_code is not None and category_code != self.category_code:
            data.update(category_from=self.category_code, category_to=category_code)
            self.category_code = category_code
        self.limit = limit
        self.registered_at = at
        self._move(Action.REGISTER, actor, at, Status.REGISTERED, note, **data)

    def reject(self, *, actor: Actor, at: datetime, reason: str) -> None:
        """Refuse to register (不予立案): the case closes as rejected."""
        self._require(Action.REJECT, actor, DESK_ROLES, {Status.SUBMITTED})
        self._need_text(reason)
        self.outcome = Outcome.REJECTED
        self.closed_at = at
        self._move(Action.REJECT, actor, at, Status.CLOSED, reason)

    def merge_into(self, *, actor: Actor, at: datetime, target: Case, note: str = "") -> None:
        """Merge a duplicate into an open case; its reporter follows the surviving case."""
        self._require(Action.MERGE, actor, DESK_ROLES, {Status.SUBMITTED, Status.REGISTERED})
        if target.id is None or target.id == self.id:
            raise RuleViolation(detail=N_("A case cannot be merged into itself."))
        if not target.is_open:
            raise RuleViolation(detail=N_("A case can only be merged into an open case."))
        self.merged_into = target.id
        self.closed_at = at
        self._move(Action.MERGE, actor, at, Status.MERGED, note, into=target.number)

    def dispatch(
        self,
        *,
        actor: Actor,
        at: datetime,
        org_code: str,
        assignee_code: str | None,
        deadlines: DeadlinePolicy,
        note: str = "",
    ) -> None:
        """Send the case to a department or utility and, where known, a grid worker (派遣)."""
        self._require(Action.DISPATCH, actor, DESK_ROLES, {Status.REGISTERED})
        assert self.limit is not None  # set at registration
        self.org_code = org_code
        self.assignee_code = assignee_code
        first = self.dispatched_at is None
        self.dispatched_at = at
        self.accept_due = deadlines.due(at, deadlines.accept_limit).due
        if first:  # a return does not restart the clock (退单不重新计时)
            deadline = deadlines.due(at, self.limit)
            self.due, self.due_provisional = deadline.due, deadline.provisional
        self._move(Action.DISPATCH, actor, at, Status.DISPATCHED, note, org=org_code, assignee=assignee_code)

    # ------------------------------------------------------------ the assignee
    def accept(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Sign for the case (签收)."""
        self._require_assignee(Action.ACCEPT, actor, {Status.DISPATCHED})
        self.accepted_at = at
        self._move(Action.ACCEPT, actor, at, Status.ACCEPTED, note)

    def request_return(self, *, actor: Actor, at: datetime, reason: str) -> None:
        """Ask to send the case back to the dispatcher (退单); a supervisor decides."""
        self._require_assignee(Action.REQUEST_RETURN, actor, {Status.DISPATCHED, Status.ACCEPTED})
        self._no_pending()
        self._need_text(reason)
        self.pending = PendingRequest("return", _who(actor), at, reason)
        self._record(Action.REQUEST_RETURN, actor, at, self.status, reason)

    def start(self, *, actor: Actor, at: datetime, note: str = "") -> None:
        """Begin the work (处置)."""
        self._require_assignee(Action.START, actor, {Status.ACCEPTED})
        self._move(Action.START, actor, at, Status.IN_PROGRESS, note)

    def report(self, *, actor: Actor, at: datetime, note: str, photos: tuple[str, ...] = ()) -> None:
        """Report the result back (反馈)."""
        self._require_assignee(Action.REPORT, actor, {Status.IN_PROGRESS})
        self._need_text(note)
        self.handled_at = at
        self.photos = self.photos + photos
        self._move(Action.REPORT, actor, at, Status.HANDLED, note, attachments=photos)

    def request_extension(self, *, actor: Actor, at: datetime, new_due: datetime, reason: str) -> None:
        """Ask for more time (延期); the deadline moves only once a supervisor approves."""
        self._require_assignee(Action.REQUEST_EXTENSION, actor, {Status.ACCEPTED, Status.IN_PROGRESS})
        self._no_pending()
        self._need_text(reason)
        if self.due is None or new_due <= self.due:
            raise RuleViolation(detail=N_("An extension must move the deadline later."))
        self.pending = PendingRequest("extension", _who(actor), at, reason, new_due)
        self._record(Action.REQUEST_EXTENSION, actor, at, self.status, reason, new_due=new_due.isoformat())

    def request_suspension(self, *, actor: Actor, at: datetime, reason: str) -> None:
        """Ask to pause the case (挂账), e.g. waiting for weather or a court."""
        self._require_assignee(Action.REQUEST_SUSPENSION, actor, {Status.ACCEPTED, Status.IN_PROGRESS})
        self._no_pending()
        self._need_text(reason)
        self.pending = PendingRequest("suspension", _who(actor), at, reason)
        self._record(Action.REQUEST_SUSPENSION, actor, at, self.status, reason)

    # ------------------------------------------------------------- supervisors
    def decide(self, *, actor: Actor, at: datetime, approve: bool, note: str = "") -> None:
        """Approve or deny the pending return, extension or suspension."""
        pending = self.pending
        if pending is None:
            raise RuleViolation(detail=N_("There is no request waiting for a decision."))
        action = _DECISIONS[(pending.kind, approve)]
        self._require(action, actor, SUPERVISORS, OPEN_STATUSES)
        self.pending = None
        if not approve:
            self._record(action, actor, at, self.status, note)
        elif pending.kind == "return":
            self.return_count += 1
            self.assignee_code = None
            self.accepted_at = None
            self.accept_due = None
            self._move(action, actor, at, Status.REGISTERED, note, reason=pending.reason)
        elif pending.kind == "extension":
            assert pending.new_due is not None
            old = self.due
            # A recount may have moved the deadline past the date asked for: an extension never shortens it.
            self.due = max(pending.new_due, old) if old is not None else pending.new_due
            self.extension_count += 1
            self.warning = Warning.NONE
            self._record(action, actor, at, self.status, note, old_due=_iso(old), new_due=_iso(self.due))
        else:
            self.suspended_at = at
            self._move(action, actor, at, Status.SUSPENDED, note, resume_to=self.status.value)

    def resume(self, *, actor: Actor, at: datetime, deadlines: DeadlinePolicy, note: str = "") -> None:
        """End a suspension: the paused time is added to the deadline."""
        self._require(
            Action.RESUME, actor, SUPERVISORS | {Role.GRID_WORKER, Role.HANDLER}, {Status.SUSPENDED}
        )
        if actor.role in (Role.GRID_WORKER, Role.HANDLER) and not self.is_assignee(actor):
            raise NotPermitted(action=Action.RESUME.value)
        assert self.suspended_at is not None and self.limit is not None
        old = self.due
        if self.due is not None:
            shifted = deadlines.shift(self.due, self.suspended_at, at, self.limit)
            self.due, self.due_provisional = shifted.due, shifted.provisional or self.due_provisional
        back_to = self._status_before_suspension() or Status.IN_PROGRESS
        self.suspended_at = None
        self._move(Action.RESUME, actor, at, back_to, note, old_due=_iso(old), new_due=_iso(self.due))

    def verify(self, *, actor: Actor, at: datetime, ok: bool, note: str = "") -> None:
        """Check the reported result: close it (结案) or send it back for rework (返工)."""
        self._require(Action.VERIFY if ok else Action.REWORK, actor, DESK_ROLES, {Status.HANDLED})
        if ok:
            self.outcome = Outcome.RESOLVED
            self.closed_at = at
            self._move(Action.VERIFY, actor, at, Status.CLOSED, note)
        else:
            self._need_text(note)
            self.rework_count += 1
            self.handled_at = None
            self._move(Action.REWORK, actor, at, Status.IN_PROGRESS, note)

    def record_callback(self, *, actor: Actor, at: datetime, callback: Callback) -> None:
        """Record the callback (回访) and the resident's rating."""
        allowed = DESK_ROLES | {Role.RESIDENT}
        self._require(Action.CALLBACK, actor, allowed, {Status.CLOSED})
        if self.outcome is not Outcome.RESOLVED:
            raise RuleViolation(detail=N_("Only a resolved case gets a callback."))
        if callback.valid and callback.satisfaction is None:
            raise RuleViolation(detail=N_("A valid callback needs the resident's rating."))
        self.callback = callback
        self.evaluated_at = at
        self._move(
            Action.CALLBACK,
            actor,
            at,
            Status.EVALUATED,
            callback.comment,
            valid=callback.valid,
            contacted=callback.contacted,
            resolved=callback.resolved,
            satisfaction=callback.satisfaction.value if callback.satisfaction else None,
        )

    def record_follower_callback(
        self, *, actor: Actor, at: datetime, callback: Callback, survivor: Case
    ) -> None:
        """The rating of a merged case's reporter, once the case it was merged into is closed resolved.

        The merged case stays merged; it keeps its reporter's own callback, and takes the survivor's
        organisation and worker, who handled its problem (so figures per department count the rating).
        """
        allowed = DESK_ROLES | {Role.RESIDENT}
        if actor.role not in allowed:
            raise NotPermitted(action=Action.CALLBACK.value)
        if self.status is not Status.MERGED:
            raise IllegalTransition(action=Action.CALLBACK.value, status=self.status.value)
        if survivor.id != self.merged_into:
            raise RuleViolation(detail=N_("That is not the case this one was merged into."))
        resolved = (
            survivor.status in (Status.CLOSED, Status.EVALUATED) and survivor.outcome is Outcome.RESOLVED
        )
        if not resolved:
            raise RuleViolation(detail=N_("The case this one was merged into is not resolved yet."))
        if self.callback is not None:
            raise RuleViolation(detail=N_("This reporter's rating is recorded already."))
        if callback.valid and callback.satisfaction is None:
            raise RuleViolation(detail=N_("A valid callback needs the resident's rating."))
        self.callback = callback
        self.evaluated_at = at
        self.org_code, self.assignee_code = survivor.org_code, survivor.assignee_code
        self._record(
            Action.CALLBACK,
            actor,
            at,
            self.status,
            callback.comment,
            survivor=survivor.number,
            valid=callback.valid,
            contacted=callback.contacted,
            resolved=callback.resolved,
            satisfaction=callback.satisfaction.value if callback.satisfaction else None,
        )

    def reopen(self, *, actor: Actor, at: datetime, deadlines: DeadlinePolicy, reason: str) -> None:
        """Reopen after an unsatisfied callback (重办): back to the same unit with a fresh time limit."""
        self._require(Action.REOPEN, actor, DESK_ROLES, {Status.EVALUATED})
        if self.callback is None or self.callback.satisfaction is not Satisfaction.UNSATISFIED:
            raise RuleViolation(detail=N_("Only a case rated unsatisfied can be reopened."))
        self._need_text(reason)
        assert self.limit is not None
        deadline = deadlines.due(at, self.limit)
        self.due, self.due_provisional = deadline.due, deadline.provisional
        self.reopen_count += 1
        self.outcome = None
        self.closed_at = self.handled_at = self.evaluated_at = None
        self.warning = Warning.NONE
        self._move(Action.REOPEN, actor, at, Status.IN_PROGRESS, reason)

    # ----------------------------------------------------- any open state
    def escalate(
        self,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        summon: tuple[str, ...] = (),
        to: Escalation | None = None,
    ) -> None:
        """Hand the case up the grid chain (上报上级); ``summon`` lists departments called in (吹哨报到).

        ``to`` jumps to a higher level at once (the system sends a report nobody owns to the street).
        """
        staff = DESK_ROLES | {Role.GRID_WORKER, Role.HANDLER}
        self._require(Action.ESCALATE, actor, staff, OPEN_STATUSES)
        above = self.escalation.above()
        if above is None:
            raise RuleViolation(detail=N_("The case is already at the district command centre."))
        if to is not None:
            order = list(Escalation)
            if order.index(to) <= order.index(self.escalation):
                raise RuleViolation(detail=N_("A case can only be escalated to a higher level."))
            above = to
        self._need_text(reason)
        before = self.escalation
        self.escalation = above
        data: dict[str, Any] = {"from": before.value, "to": above.value, "summon": list(summon)}
        self._record(Action.ESCALATE, actor, at, self.status, reason, **data)

    def supervise(self, *, actor: Actor, at: datetime, note: str, respond_by: datetime) -> None:
        """Issue a supervision order (督办) with its own response deadline."""
        self._require(Action.SUPERVISE, actor, SUPERVISORS, OPEN_STATUSES)
        self._need_text(note)
        if respond_by <= at:
            raise RuleViolation(detail=N_("A supervision order needs a response time in the future."))
        self.supervision_count += 1
        self._record(Action.SUPERVISE, actor, at, self.status, note, respond_by=respond_by.isoformat())

    def comment(self, *, actor: Actor, at: datetime, note: str, photos: tuple[str, ...] = ()) -> None:
        """Add a note (and photos) without changing the status."""
        if actor.role in (Role.RESIDENT, Role.ADMIN, Role.LEADER):  # leaders read; they do not write
            raise NotPermitted(action=Action.COMMENT.value)
        if actor.role in (Role.GRID_WORKER, Role.HANDLER) and not self.is_assignee(actor):
            raise NotPermitted(action=Action.COMMENT.value)
        if not note.strip() and not photos:
            raise RuleViolation(detail=N_("A comment needs text or a photo."))
        self.photos = self.photos + photos
        action = Action.ADD_PHOTOS if photos and not note.strip() else Action.COMMENT
        self._record(action, actor, at, self.status, note, attachments=photos)

    def mark_warning(self, *, at: datetime, level: Warning) -> bool:
        """Raise the time-limit warning (only ever upwards while the deadline stands)."""
        order = list(Warning)
        if not self.is_open or order.index(level) <= order.index(self.warning):
            return False
        self.warning = level
        self._record(Action.WARN, Actor.system(), at, self.status, "", level=level.value)
        return True

    def recount_deadline(self, *, at: datetime, deadlines: DeadlinePolicy) -> bool:
        """Count a provisional deadline again, e.g. once the official holiday schedule is loaded.

        The due time is rebuilt from the history: the clock's start (first dispatch or last reopen), plus
        every approved suspension. An explicitly approved extension date stands as it is.
        """
        if not self.due_provisional or self.limit is None or not self.is_open:
            return False
        start: datetime | None = None
        paused_from: datetime | None = None
        pauses: list[tuple[datetime, datetime]] = []
        extended = False  # an approved date stands, until a reopening starts a fresh limit
        for event in self.history():
            if (event.action is Action.DISPATCH and start is None) or event.action is Action.REOPEN:
                start, pauses, extended = event.at, [], False
            elif event.action is Action.APPROVE_SUSPENSION:
                paused_from = event.at
            elif event.action is Action.RESUME and paused_from is not None:
                pauses.append((paused_from, event.at))
            elif event.action is Action.APPROVE_EXTENSION:
                extended = True
        if start is None or extended:
            return False
        deadline = deadlines.due(start, self.limit)
        due, provisional = deadline.due, deadline.provisional
        for begin, end in pauses:
            shifted = deadlines.shift(due, begin, end, self.limit)
            due, provisional = shifted.due, provisional or shifted.provisional
        if due == self.due and provisional == self.due_provisional:
            return False
        old = self.due
        self.due, self.due_provisional = due, provisional
        self._record(
            Action.RECOUNT_DEADLINE,
            Actor.system(),
            at,
            self.status,
            "",
            old_due=_iso(old),
            new_due=_iso(due),
            provisional=provisional,
        )
        return True

    # ----------------------------------------------------------------- helpers
    def _require(
        self,
        action: Action,
        actor: Actor,
        roles: frozenset[Role] | set[Role],
        statuses: frozenset[Status] | set[Status],
    ) -> None:
        if actor.role not in roles:
            raise NotPermitted(action=action.value)
        if self.status not in statuses:
            raise IllegalTransition(action=action.value, status=self.status.value)

    def _require_assignee(self, action: Action, actor: Actor, statuses: set[Status]) -> None:
        if self.status not in statuses:
            raise IllegalTransition(action=action.value, status=self.status.value)
        if not self.is_assignee(actor):
            raise NotPermitted(action=action.value)

    def _no_pending(self) -> None:
        if self.pending is not None:
            raise RuleViolation(detail=N_("A request is already waiting for the supervisor."))

    @staticmethod
    def _need_text(text: str) -> None:
        if not text or not text.strip():
            raise RuleViolation(detail=N_("A reason or note is required."))

    def _status_before_suspension(self) -> Status | None:
        for event in reversed(self.events + self.new_events):
            if event.action is Action.APPROVE_SUSPENSION:
                return event.from_status
        return None

    def _move(
        self,
        action: Action,
        actor: Actor,
        at: datetime,
        to: Status,
        note: str = "",
        attachments: tuple[str, ...] = (),
        **data: Any,
    ) -> None:
        before = self.status
        self.status = to
        if self.pending is not None and to not in _PENDING_STATUSES[self.pending.kind]:
            # The case moved on (e.g. the worker reported back): a request made for the old state lapses.
            data["lapsed_request"] = self.pending.kind
            self.pending = None
        self._record(action, actor, at, before, note, attachments=attachments, **data)

    def _record(
        self,
        action: Action,
        actor: Actor,
        at: datetime,
        before: Status | None,
        note: str = "",
        attachments: tuple[str, ...] = (),
        **data: Any,
    ) -> None:
        seq = len(self.events) + len(self.new_events) + 1
        self.new_events.append(
            CaseEvent(
                seq=seq,
                action=action,
                at=at,
                actor_role=actor.role,
                actor_id=actor.id,
                actor_name=actor.name,
                from_status=before,
                to_status=self.status,
                note=note,
                data=MappingProxyType(data),
                attachments=attachments,
            )
        )

    def history(self) -> list[CaseEvent]:
        """Every event, oldest first."""
        return self.events + self.new_events

    def time_to_accept(self) -> timedelta | None:
        """From dispatch to acceptance."""
        if self.dispatched_at is None or self.accepted_at is None:
            return None
        return self.accepted_at - self.dispatched_at

    def with_events_saved(self) -> None:
        """Called by the repository once new events are stored."""
        self.events.extend(self.new_events)
        self.new_events.clear()


# Where each kind of request can be made and decided: leaving these statuses lets the request lapse.
_PENDING_STATUSES = {
    "return": frozenset({Status.DISPATCHED, Status.ACCEPTED}),
    "extension": frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
    "suspension": frozenset({Status.ACCEPTED, Status.IN_PROGRESS}),
}

_DECISIONS = {
    ("return", True): Action.APPROVE_RETURN,
    ("return", False): Action.DENY_RETURN,
    ("extension", True): Action.APPROVE_EXTENSION,
    ("extension", False): Action.DENY_EXTENSION,
    ("suspension", True): Action.APPROVE_SUSPENSION,
    ("suspension", False): Action.DENY_SUSPENSION,
}


def _who(actor: Actor) -> str:
    return actor.worker_code or actor.org_code or actor.name or actor.role.value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
