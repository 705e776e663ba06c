"""The value objects a case is made of: statuses, actions, events, location, reporter, callback."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from civicgrid.domain.deadlines import Warning as Warning  # a case's warning is the deadline's warning
from civicgrid.domain.roles import Role


class Status(StrEnum):
    """Where a case stands in its lifecycle (GB/T 30428 stages with the 12345 steps)."""

    SUBMITTED = "submitted"  # 上报
    REGISTERED = "registered"  # 立案
    DISPATCHED = "dispatched"  # 派遣
    ACCEPTED = "accepted"  # 签收
    IN_PROGRESS = "in_progress"  # 处置
    SUSPENDED = "suspended"  # 挂账
    HANDLED = "handled"  # 反馈
    CLOSED = "closed"  # 结案
    EVALUATED = "evaluated"  # 回访
    MERGED = "merged"  # 合并到重复件


OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.SUSPENDED,
        Status.HANDLED,
    }
)
# Statuses in which the responsible unit is working against the deadline.
ASSIGNED_STATUSES = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.HANDLED})


class Source(StrEnum):
    """Where a report came from."""

    WEB = "web"  # resident page
    HOTLINE = "hotline"  # 12345 operator
    OPEN311 = "open311"
    PATROL = "patrol"  # grid worker 巡查上报
    ENTERPRISE = "enterprise"  # 企业诉求


class Outcome(StrEnum):
    """How a closed case ended."""

    RESOLVED = "resolved"
    REJECTED = "rejected"  # 不予立案


class Satisfaction(StrEnum):
    """The resident's rating at the callback."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Escalation(StrEnum):
    """The level of the grid chain that currently owns the case (上报上级 moves it up)."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"

    def above(self) -> Escalation | None:
        """The next level up, or None at the district."""
        order = list(Escalation)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Action(StrEnum):
    """Everything that can happen to a case; each becomes one immutable event."""

    SUBMIT = "submit"
    REGISTER = "register"
    REJECT = "reject"
    MERGE = "merge"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    REQUEST_RETURN = "request_return"
    APPROVE_RETURN = "approve_return"
    DENY_RETURN = "deny_return"
    START = "start"
    REPORT = "report"
    VERIFY = "verify"
    REWORK = "rework"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    REQUEST_SUSPENSION = "request_suspension"
    APPROVE_SUSPENSION = "approve_suspension"
    DENY_SUSPENSION = "deny_suspension"
    RESUME = "resume"
    CALLBACK = "callback"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    SUPERVISE = "supervise"
    COMMENT = "comment"
    ADD_PHOTOS = "add_photos"
    WARN = "warn"
    RECOUNT_DEADLINE = "recount_deadline"


@dataclass(frozen=True)
class Location:
    """Where the problem is: WGS84 lon/lat and the address as given."""

    lon: float
    lat: float
    address: str = ""


@dataclass(frozen=True)
class AreaChain:
    """The micro-grid a case lies in and each of its ancestors, by code."""

    microgrid: str
    grid: str
    community: str
    street: str


def mask_phone(phone: str | None) -> str | None:
    """138****1234: keeps the first three and last four digits."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """张** / J***: keeps the first character only."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


# Contact details a resident may have typed into a description: masked wherever text is shown publicly.
_CONTACT_DETAILS = re.compile(
    r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"  # mainland mobile numbers
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"  # landlines with area code
    r"|(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"  # resident ID card numbers
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"  # e-mail addresses
    r"|\+?\d[\d\s-]{5,}\d|[^\s@]+@[^\s@]+\.\w+|\d{17}[\dXx]"  # and any other long run of digits, any address
)
CONTACT_MASK = "***"


def mask_contact_details(text: str, *known: str | None) -> str:
    """``text`` with anything shaped like a phone number, ID card number or e-mail address masked.

    ``known`` personal values (the reporter's own name, phone, e-mail) are masked wherever they stand, in
    any shape; values shorter than two characters are left alone (they would mask ordinary words).
    """
    for value in known:
        if value and len(value.strip()) >= 2:
            text = text.replace(value.strip(), CONTACT_MASK)
    return _CONTACT_DETAILS.sub(CONTACT_MASK, text)


def mask_email(email: str | None) -> str | None:
    """z***@example.com: keeps the first character and the domain."""
    if not email or "@" not in email:
        return mask_name(email)
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class Reporter:
    """Who reported (personal data: masked in views, never in public output)."""

    name: str | None = None
    phone: str | None = None
    anonymous: bool = False
    email: str | None = None
    user_id: int | None = None  # a signed-in resident's account

    def masked(self) -> Reporter:
        """The same reporter with name, phone and e-mail masked."""
        return Reporter(
            name=mask_name(self.name),
            phone=mask_phone(self.phone),
            anonymous=self.anonymous,
            email=mask_email(self.email),
            user_id=self.user_id,
        )


@dataclass(frozen=True)
class Callback:
    """The callback (回访): was the resident reached, contacted, helped; and their rating."""

    valid: bool
    contacted: bool = False
    resolved: bool = False
    satisfaction: Satisfaction | None = None
    comment: str = ""


@dataclass(frozen=True)
class PendingRequest:
    """A return, extension or suspension that waits for a supervisor."""

    kind: str  # "return" | "extension" | "suspension"
    requested_by: str
    at: datetime
    reason: str
    new_due: datetime | None = None


@dataclass(frozen=True)
class CaseEvent:
    """One immutable entry of a case's history."""

    seq: int
    action: Action
    at: datetime
    actor_role: Role
    actor_id: int | None
    actor_name: str
    from_status: Status | None
    to_status: Status
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    attachments: tuple[str, ...] = ()
