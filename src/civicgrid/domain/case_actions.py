"""Which lifecycle actions an actor may take on a case right now (for pages that offer only those).

The answer comes from the lifecycle itself rather than a second copy of its rules: each action is tried on
a throwaway copy of the case with inputs that pass the input checks (a reason, a later date, an open merge
target), so only the actor's role, the status and the case's state decide. A rule added to ``Case`` shows
up here without anyone remembering to update a table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from civicgrid.domain.case_types import Callback, Satisfaction, Status
from civicgrid.domain.cases import Case
from civicgrid.domain.deadlines import Deadline, LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.errors import DomainError
from civicgrid.domain.roles import Actor

# The actions of the JSON API and the pages (one POST each), in the order a case meets them.
CASE_ACTIONS = (
    "register",
    "reject",
    "merge",
    "dispatch",
    "accept",
    "return",
    "decide",
    "start",
    "report",
    "extend",
    "suspend",
    "resume",
    "verify",
    "callback",
    "reopen",
    "escalate",
    "supervise",
    "comment",
)

_TEXT = "-"  # any non-blank text passes the "a reason is required" check
_LATER = timedelta(days=3650)


class _ProbeDeadlines:
    """Natural time only: the probe needs some due time, never the real calendar."""

    accept_limit = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)

    def due(self, start: datetime, limit: TimeLimit) -> Deadline:
        hours = limit.amount * (24 if limit.unit is LimitUnit.DAYS else 1)
        return Deadline(due=start + timedelta(hours=hours))

    def shift(self, due: datetime, paused_from: datetime, paused_to: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(due=due + (paused_to - paused_from))


_D = _ProbeDeadlines()
_RATED = Callback(valid=True, contacted=True, resolved=True, satisfaction=Satisfaction.SATISFIED)


def _merge_target(case: Case) -> Case:
    # Any open case other than this one: whether a real candidate exists is the duplicates search's job.
    other = -1 if case.id != -1 else -2
    return replace(case, id=other, status=Status.REGISTERED, events=[], new_events=[])


_PROBES: dict[str, Callable[[Case, Actor, datetime], None]] = {
    "register": lambda c, a, t: c.register(actor=a, at=t, limit=c.limit or _D.accept_limit),
    "reject": lambda c, a, t: c.reject(actor=a, at=t, reason=_TEXT),
    "merge": lambda c, a, t: c.merge_into(actor=a, at=t, target=_merge_target(c)),
    "dispatch": lambda c, a, t: c.dispatch(actor=a, at=t, org_code=_TEXT, assignee_code=None, deadlines=_D),
    "accept": lambda c, a, t: c.accept(actor=a, at=t),
    "return": lambda c, a, t: c.request_return(actor=a, at=t, reason=_TEXT),
    "decide": lambda c, a, t: c.decide(actor=a, at=t, approve=True),
    "start": lambda c, a, t: c.start(actor=a, at=t),
    "report": lambda c, a, t: c.report(actor=a, at=t, note=_TEXT),
    "extend": lambda c, a, t: c.request_extension(
        actor=a, at=t, new_due=max(c.due or t, t) + _LATER, reason=_TEXT
    ),
    "suspend": lambda c, a, t: c.request_suspension(actor=a, at=t, reason=_TEXT),
    "resume": lambda c, a, t: c.resume(actor=a, at=t, deadlines=_D),
    "verify": lambda c, a, t: c.verify(actor=a, at=t, ok=True),
    "callback": lambda c, a, t: c.record_callback(actor=a, at=t, callback=_RATED),
    "reopen": lambda c, a, t: c.reopen(actor=a, at=t, deadlines=_D, reason=_TEXT),
    "escalate": lambda c, a, t: c.escalate(actor=a, at=t, reason=_TEXT),
    "supervise": lambda c, a, t: c.supervise(actor=a, at=t, note=_TEXT, respond_by=t + timedelta(days=1)),
    "comment": lambda c, a, t: c.comment(actor=a, at=t, note=_TEXT),
}


def allowed_actions(case: Case, actor: Actor, now: datetime) -> tuple[str, ...]:
    """The actions ``actor`` may take on ``case`` at ``now``, in ``CASE_ACTIONS`` order (case untouched)."""
    allowed = []
    for action in CASE_ACTIONS:
        # A shallow copy with its own event lists: every transition rebinds fields, none mutates shared ones.
        trial = replace(case, events=list(case.events), new_events=list(case.new_events))
        try:
            _PROBES[action](trial, actor, now)
        except DomainError:
            continue
        allowed.append(action)
    return tuple(allowed)
