"""Intake: a report becomes a case, acknowledged only after a durable commit, never twice for one key."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from civicgrid.adapters.db.idempotency_repository import StoredAnswer
from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.attributes import check_answers
from civicgrid.domain.case_types import Location, Reporter, Source
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Category, Urgency
from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.roles import Actor
from civicgrid.services.locating import Locator

OPEN311_PREFIX = "open311_"  # e.g. open311_media_url: what an Open311 client sent that staff may need
MAX_DESCRIPTION = 4000  # Open311's limit, and plenty for a phone report
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,20}$")


class InvalidReport(DomainError):
    code = "invalid_report"
    message = N_("{detail}")


class ContactRequired(DomainError):
    code = "contact_required"
    message = N_("This kind of problem needs a contact phone number; it cannot be reported anonymously.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = N_("This Idempotency-Key was already used for a different request.")


@dataclass(frozen=True)
class ReportCase:
    """A report as any door receives it (resident page, hotline, Open311, patrol, enterprise)."""

    source: Source
    category_code: str
    description: str
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    anonymous: bool = False
    urgency: Urgency | None = None
    photos: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A hash of the request, to tell a retry from a different request under the same key."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    """What the reporter gets back: the number and, once only, the secret tracking token."""

    id: int
    number: str
    tracking_token: str | None
    status: str
    replayed: bool = False


def hash_token(token: str) -> str:
    """Tracking tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def report_case(
    *,
    uow: Callable[[], UnitOfWork],
    locator: Locator,
    report: ReportCase,
    actor: Actor,
    now: datetime,
    idempotency: tuple[str, str] | None = None,
) -> Receipt:
    """File a report as a new case; with ``idempotency=(scope, key)`` a retry returns the first receipt."""
    for attempt in range(3):
        try:
            return _report_once(
                uow=uow, locator=locator, report=report, actor=actor, now=now, idempotency=idempotency
            )
        except IntegrityError:
            # Two requests with one key raced; the loser's transaction rolled back and the next pass replays.
            if idempotency is None or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _report_once(
    *,
    uow: Callable[[], UnitOfWork],
    locator: Locator,
    report: ReportCase,
    actor: Actor,
    now: datetime,
    idempotency: tuple[str, str] | None,
) -> Receipt:
    with uow() as u:
        receipt = file_report(
            u, locator=locator, report=report, actor=actor, now=now, idempotency=idempotency
        )
        u.commit()
    return receipt


def file_report(
    u: UnitOfWork,
    *,
    locator: Locator,
    report: ReportCase,
    actor: Actor,
    now: datetime,
    idempotency: tuple[str, str] | None,
) -> Receipt:
    """Everything of filing a report inside the caller's open unit of work, which commits (or batches)."""
    _refuse_nul(report)  # first: PostgreSQL cannot even look a category code up when it holds a NUL
    fingerprint = report.fingerprint() if idempotency is not None else ""
    if idempotency is not None:
        stored = u.idempotency.get(*idempotency)
        if stored is not None:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return Receipt(**stored.response, replayed=True)
    category = u.reference.category(report.category_code)
    _check(report, category)
    attributes = _answers(report, category)
    if report.lon is not None and report.lat is not None:
        located = locator.locate(u.areas, report.lon, report.lat)
        lon, lat = report.lon, report.lat
    elif report.address.strip():
        located, lon, lat = locator.locate_address(u.areas, report.address)
    else:
        raise InvalidReport(detail=N_("A report needs a map point or an address."))
    anonymous = report.anonymous or not (report.reporter_name or report.reporter_phone)
    case = Case.submit(
        actor=actor,
        at=now,
        source=report.source,
        category_code=category.code,
        urgency=report.urgency or category.urgency,
        description=report.description,
        location=Location(lon, lat, report.address.strip()),
        areas=located.chain,
        reporter=Reporter(
            name=None if report.anonymous else _clean(report.reporter_name),
            phone=None if report.anonymous else _clean(report.reporter_phone),
            anonymous=anonymous,
            email=None if report.anonymous else _clean(report.reporter_email),
            user_id=actor.id if actor.role.value == "resident" else None,
        ),
        photos=report.photos,
        attributes=attributes,
    )
    token = secrets.token_urlsafe(18)
    u.cases.add(case, tracking_hash=hash_token(token))
    assert case.id is not None and case.number is not None
    receipt = Receipt(id=case.id, number=case.number, tracking_token=token, status=case.status.value)
    u.accounts.audit(
        actor=actor,
        action="case.submit",
        target=case.number,
        detail={"source": report.source.value, "category": category.code},
        now=now,
    )
    if idempotency is not None:
        # The token is kept with the answer: a client whose first response was lost still gets its link.
        answer = {
            "id": case.id,
            "number": case.number,
            "status": case.status.value,
            "tracking_token": token,
        }
        u.idempotency.put(*idempotency, StoredAnswer(fingerprint, 201, answer), now)
    return receipt


def _check(report: ReportCase, category: Category) -> None:
    description = report.description.strip()
    if not description:
        raise InvalidReport(detail=N_("A report needs a description."))
    if len(description) > MAX_DESCRIPTION:
        raise InvalidReport(detail=N_("The description is longer than 4,000 characters."))
    phone = _clean(report.reporter_phone)
    if phone and not _PHONE.match(phone):
        raise InvalidReport(detail=N_("The phone number is not valid."))
    email = _clean(report.reporter_email)
    if email and not _EMAIL.match(email):
        raise InvalidReport(detail=N_("The e-mail address is not valid."))
    if (report.anonymous or not phone) and not category.anonymous_allowed:
        raise ContactRequired()
    if len(report.address) > 500:
        raise InvalidReport(detail=N_("The address is longer than 500 characters."))
    if (report.lon is None) != (report.lat is None):
        raise InvalidReport(detail=N_("Give both longitude and latitude, or neither."))


def _refuse_nul(report: ReportCase) -> None:
    texts = [report.category_code, report.description, report.address, *report.photos]
    texts += [v for v in (report.reporter_name, report.reporter_phone, report.reporter_email) if v]
    for key, value in report.attributes.items():
        texts += [key, *([value] if isinstance(value, str) else [str(v) for v in value])]
    if any("\x00" in text for text in texts):
        raise InvalidReport(detail=N_("The text contains a NUL character."))


def _answers(report: ReportCase, category: Category) -> dict[str, Any]:
    """Answers to the category's questions, checked; keys the Open311 door records for staff are kept."""
    given = {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in report.attributes.items()}
    answers: dict[str, Any] = dict(
        check_answers(category, given, enforce_required=report.source is Source.OPEN311)
    )
    answers.update({k: v for k, v in report.attributes.items() if k.startswith(OPEN311_PREFIX)})
    return answers


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
