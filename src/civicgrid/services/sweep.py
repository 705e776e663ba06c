"""The deadline sweep: yellow and red warnings and escalation by rule, one process at a time.

Any number of server processes and cron jobs may call ``sweep``; a lease in the ``meta`` table lets one
of them work while the others return at once (``skipped_locked``). The lease is a compare-and-swap on
one row, so it works the same on SQLite and PostgreSQL, and it expires: a process that dies holding it
blocks the sweep for at most ``lease`` (the holder renews it after every batch). Even two sweeps that
did overlap would not escalate twice: each case is saved with its version check, and the rule counts
the escalations already recorded (``civicgrid.domain.escalation``).

Each changed case is its own short transaction, so the sweep never holds the SQLite write lock for long
and a case someone changed meanwhile (``StaleVersion``) is skipped until the next sweep.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from civicgrid.adapters.db.case_repository import SweepCandidate
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.case_types import ASSIGNED_STATUSES, Escalation
from civicgrid.domain.cases import StaleVersion
from civicgrid.domain.errors import DomainError
from civicgrid.domain.escalation import ESCALATION_REASON, EscalationRules, assess, may_need_action
from civicgrid.domain.roles import Actor
from civicgrid.services.deadline_policy import CalendarDeadlines

log = logging.getLogger(__name__)

LEASE_KEY = "sweep_lease"
DEFAULT_LEASE = timedelta(minutes=2)
SYSTEM = Actor.system()


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: warnings raised, escalation steps made (one per level), cases looked at."""

    yellow: int = 0
    red: int = 0
    escalated: int = 0
    scanned: int = 0
    skipped: int = 0  # cases changed by someone else meanwhile (or refused by a rule): next sweep
    skipped_locked: bool = False  # another process held the lease: nothing was done

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-able data."""
        return asdict(self)


def sweep(
    *,
    uow: Callable[[], UnitOfWork],
    deadlines: CalendarDeadlines,
    now: datetime,
    yellow_at: float,
    rules: EscalationRules | None = None,
    batch: int = 500,
    reader: Callable[[], UnitOfWork] | None = None,
    owner: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> SweepReport:
    """Raise due warnings and escalate overdue cases by rule, unless another process is sweeping now."""
    rules = rules or EscalationRules()
    holder = _Lease(uow, owner or _new_owner(), lease, now)
    if not holder.take():
        return SweepReport(skipped_locked=True)
    tally: Counter[str] = Counter()
    try:
        after = 0
        while rows := _candidates(reader or uow, after, batch):
            after = rows[-1].id
            tally["scanned"] += len(rows)
            for row in rows:
                if may_need_action(
                    row, now, deadlines.calendar, deadlines.hours, yellow_at=yellow_at, rules=rules
                ):
                    tally.update(_sweep_case(uow, row.id, deadlines, now, yellow_at, rules))
            if not holder.renew():  # we overran the lease and another process took over: let it finish
                log.warning("deadline sweep lost its lease after %d cases; stopping", tally["scanned"])
                break
    finally:
        try:
            holder.release()
        except SQLAlchemyError:  # the database went away: the lease simply expires
            log.exception("deadline sweep could not give its lease back")
    return SweepReport(
        yellow=tally["yellow"],
        red=tally["red"],
        escalated=tally["escalated"],
        scanned=tally["scanned"],
        skipped=tally["skipped"],
    )


def _sweep_case(
    uow: Callable[[], UnitOfWork],
    case_id: int,
    deadlines: CalendarDeadlines,
    now: datetime,
    yellow_at: float,
    rules: EscalationRules,
) -> Counter[str]:
    with uow() as u:
        case = u.cases.get(case_id)
        wanted = assess(case, now, deadlines.calendar, deadlines.hours, yellow_at=yellow_at, rules=rules)
        steps: list[tuple[Escalation, Escalation]] = []
        try:
            warned = case.mark_warning(at=now, level=wanted.warning)
            for _ in range(wanted.escalations):
                before = case.escalation
                case.escalate(actor=SYSTEM, at=now, reason=ESCALATION_REASON)
                steps.append((before, case.escalation))
            if not warned and not steps:
                return Counter()
            u.cases.save(case)
        except StaleVersion:
            return Counter(skipped=1)
        except DomainError as exc:  # one odd case must not stop the district's sweep
            log.warning("deadline sweep left case %s alone: %s", case.number, exc)
            return Counter(skipped=1)
        for before, after in steps:
            detail = {"from": before.value, "to": after.value, "rule": "overdue", "due": _iso(case.due)}
            u.accounts.audit(
                actor=SYSTEM, action="case.escalate", target=case.number or "", detail=detail, now=now
            )
        u.commit()
    done = Counter(escalated=len(steps))
    if warned:
        done[case.warning.value] = 1  # "yellow" or "red"
    return done


# ----------------------------------------------------------------------------- the candidate scan
def _candidates(uow: Callable[[], UnitOfWork], after: int, batch: int) -> list[SweepCandidate]:
    with uow() as u:
        return u.cases.sweep_candidates(after_id=after, limit=batch, statuses=ASSIGNED_STATUSES)


# ---------------------------------------------------------------------------------------- the lease
def _new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Lease:
    """The right to sweep: the ``meta`` row ``sweep_lease`` = {"owner", "expires"}, compare-and-swapped.

    Times are the sweep's ``now`` plus the time the sweep has been running, so a test clock drives
    expiry just as the real one does.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], owner: str, ttl: timedelta, now: datetime) -> None:
        self.uow, self.owner, self.ttl = uow, owner, ttl
        self._start, self._started = now, time.monotonic()
        self._held: str | None = None

    def _now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def _fresh(self) -> str:
        return json.dumps({"owner": self.owner, "expires": (self._now() + self.ttl).isoformat()})

    def _free(self, value: str) -> bool:
        try:
            held = json.loads(value)
            return bool(held["owner"] == self.owner or datetime.fromisoformat(held["expires"]) < self._now())
        except (ValueError, KeyError, TypeError):
            return True  # unreadable: nobody can be holding it

    def take(self) -> bool:
        """Take the lease if it is free, expired or already ours; False if another process holds it."""
        value = self._fresh()
        with self.uow() as u:
            current = u.leases.read(LEASE_KEY)
            if current is None:
                if not u.leases.insert(LEASE_KEY, value):  # another process inserted it first: it holds it
                    return False
            elif not self._free(current) or not u.leases.swap(LEASE_KEY, current, value):
                return False
            u.commit()
        self._held = value
        return True

    def renew(self) -> bool:
        """Push the expiry on; False if the lease was lost (it expired and another process took it)."""
        if self._held is None:
            return False
        value = self._fresh()
        with self.uow() as u:
            if not u.leases.swap(LEASE_KEY, self._held, value):
                self._held = None
                return False
            u.commit()
        self._held = value
        return True

    def release(self) -> None:
        """Give the lease back, if it is still ours."""
        if self._held is None:
            return
        with self.uow() as u:
            u.leases.delete_if(LEASE_KEY, self._held)
            u.commit()
        self._held = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
