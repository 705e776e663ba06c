"""Open311 use cases: the same intake, catalogue and case store as every other door, seen by the public.

Filing goes through ``services.intake.report_case`` (source ``open311``); reading never returns the
reporter, and free text is scrubbed of the reporter's name, phone and e-mail and of anything shaped like
a phone number, ID card number or e-mail address before it leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.domain.attributes import check_answers
from civicgrid.domain.case_types import OPEN_STATUSES, Source, mask_contact_details
from civicgrid.domain.catalogue import Catalogue, Category, Organisation, UnknownOrganisation, Urgency
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.domain.errors import N_, DomainError, NotFound
from civicgrid.domain.geography import Level
from civicgrid.domain.roles import Actor, Role
from civicgrid.domain.time_limits import default_limit
from civicgrid.entrypoints.api.open311.params import (
    LocationRequired,
    MissingArgument,
    NewRequest,
    RequestQuery,
)
from civicgrid.entrypoints.api.open311.queries import (
    PublicSteps,
    RequestFilter,
    inactive_categories,
    microgrid_point,
    public_steps,
    request_rows,
)
from civicgrid.services.api_keys import verify_api_key
from civicgrid.services.intake import ReportCase, report_case
from civicgrid.services.locating import Locator

UowFactory = Callable[[], UnitOfWork]
MEDIA_URL_ATTRIBUTE = "open311_media_url"  # kept for staff with the answers; never shown publicly


class UnknownJurisdiction(NotFound):
    code = "unknown_jurisdiction"
    message = N_("Unknown jurisdiction_id: {jurisdiction}.")


class ApiKeyMissing(DomainError):
    code = "api_key_missing"
    message = N_("An api_key is required to create a service request.")


class ApiKeyInvalid(DomainError):
    code = "api_key_invalid"
    message = N_("The api_key is not valid or has been revoked.")


class UnknownRequest(NotFound):
    code = "unknown_request"
    message = N_("There is no service request {number}.")


class UnknownToken(NotFound):
    code = "unknown_token"
    message = N_("Unknown token: requests are answered in real time here, so no tokens are issued.")


class UnknownAddressId(DomainError):
    code = "unknown_address_id"
    message = N_("No micro-grid has the address_id {address_id}.")


@dataclass(frozen=True)
class Filed:
    """A request just filed: its number and the time limit its category is handled in."""

    number: str
    limit: TimeLimit
    id: int = 0


@dataclass(frozen=True)
class PublicRequest:
    """A case as anyone may see it through Open311: no reporter, scrubbed text."""

    number: str
    open: bool
    note: str
    merged_into: str | None
    category_code: str
    category: Category | None
    description: str
    org: Organisation | None
    limit: TimeLimit | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    address: str
    microgrid_code: str
    lon: float
    lat: float


def list_services(*, uow: UowFactory, jurisdiction: str | None) -> tuple[Catalogue, list[Category]]:
    """The catalogue and its active categories, each an Open311 service."""
    with uow() as u:
        _check_jurisdiction(u, jurisdiction)
        catalogue = u.reference.catalogue()
        off = inactive_categories(u.conn)
    return catalogue, [c for c in catalogue.categories if c.code not in off]


def service_definition(*, uow: UowFactory, jurisdiction: str | None, code: str) -> Category:
    """One active category with its attributes; UnknownCategory (404) otherwise."""
    with uow() as u:
        _check_jurisdiction(u, jurisdiction)
        return u.reference.category(code)


def file_request(
    *, uow: UowFactory, reader: UowFactory, locator: Locator, request: NewRequest, now: datetime
) -> Filed:
    """File a POST requests body as a new case for the client an API key names."""
    if request.api_key is None:
        raise ApiKeyMissing()
    key = verify_api_key(uow=uow, key=request.api_key, now=now)
    if key is None:
        raise ApiKeyInvalid()
    with reader() as u:
        _check_jurisdiction(u, request.jurisdiction_id)
        if request.service_code is None:
            raise MissingArgument(name="service_code")
        category = u.reference.category(request.service_code)
        lon, lat = request.lon, request.lat
        if lon is None and request.address_id is not None:
            point = microgrid_point(u.conn, request.address_id)
            if point is None:
                raise UnknownAddressId(address_id=request.address_id[:40])
            lon, lat = point
        if lon is None and request.address_string is None:
            raise LocationRequired()
        limit = u.reference.time_limit(category.code, category.urgency)
    answers: dict[str, Any] = dict(check_answers(category, request.attributes))
    if request.media_url is not None and request.media_url.startswith(("https://", "http://")):
        answers[MEDIA_URL_ATTRIBUTE] = request.media_url
    report = ReportCase(
        source=Source.OPEN311,
        category_code=category.code,
        # Open311 makes the description optional; a case needs one, and the service names the problem.
        description=request.description or category.name_zh,
        lon=lon,
        lat=lat,
        address=request.address_string or "",
        reporter_name=request.reporter_name,
        reporter_phone=request.phone,
        reporter_email=request.email,
        attributes=answers,
    )
    client = Actor(role=Role.RESIDENT, name=f"open311:{key.name}"[:100])
    receipt = report_case(uow=uow, locator=locator, report=report, actor=client, now=now)
    return Filed(
        number=receipt.number,
        limit=limit or default_limit(category.limit_class, category.urgency),
        id=receipt.id,
    )


def find_requests(*, uow: UowFactory, query: RequestQuery, now: datetime) -> list[PublicRequest]:
    """Requests by number, or by service, window (90 days at most) and status: newest first."""
    if query.numbers:
        wanted = RequestFilter(numbers=query.numbers)
    else:
        since, until = query.window(now)
        wanted = RequestFilter(
            category_codes=query.service_codes, since=since, until=until, statuses=query.statuses
        )
    offset = (query.page - 1) * query.page_size
    return _listing(uow, wanted, query.jurisdiction_id, limit=query.page_size, offset=offset)


def request_by_number(*, uow: UowFactory, number: str, jurisdiction: str | None) -> PublicRequest:
    """One request; UnknownRequest (404) when no case has this number."""
    found = _listing(uow, RequestFilter(numbers=(number,)), jurisdiction, limit=1, offset=0)
    if not found:
        raise UnknownRequest(number=number[:40])
    return found[0]


def request_for_token(*, uow: UowFactory, token: str, jurisdiction: str | None) -> NoReturn:
    """Every service here is realtime: no token is ever issued, so none is ever found."""
    with uow() as u:
        _check_jurisdiction(u, jurisdiction)
    raise UnknownToken()


def _listing(
    uow: UowFactory, wanted: RequestFilter, jurisdiction: str | None, *, limit: int, offset: int
) -> list[PublicRequest]:
    with uow() as u:
        _check_jurisdiction(u, jurisdiction)
        rows = request_rows(u.conn, wanted, limit=limit, offset=offset)
        steps = public_steps(u.conn, [r["id"] for r in rows])
        places = u.areas.names(sorted({r["community_code"] for r in rows}))
        catalogue = u.reference.catalogue()
        limits = u.reference.time_limits()
    return [_public(r, steps[r["id"]], places, catalogue, limits) for r in rows]


def _check_jurisdiction(u: UnitOfWork, given: str | None) -> None:
    # One endpoint serves one district: its code is the only jurisdiction_id, and it may be left out.
    if given is None:
        return
    districts = {a["code"] for a in u.areas.listing(parent_code=None, level=Level.DISTRICT)}
    if given not in districts:
        raise UnknownJurisdiction(jurisdiction=given[:40])


def _public(
    row: dict[str, Any],
    steps: PublicSteps,
    places: Mapping[str, str],
    catalogue: Catalogue,
    limits: Mapping[tuple[str, str], TimeLimit],
) -> PublicRequest:
    category = catalogue.get_category(row["category_code"])
    limit = limits.get((row["category_code"], row["urgency"]))
    if limit is None and category is not None:
        limit = default_limit(category.limit_class, Urgency(row["urgency"]))
    personal = (row["reporter_name"], row["reporter_phone"], row["reporter_email"])
    is_open = row["status"] in {s.value for s in OPEN_STATUSES}
    requested = row["submitted_at"]
    updated = steps.last_at or requested
    if not is_open and row["closed_at"] is not None:
        updated = row["closed_at"]
    return PublicRequest(
        number=row["number"],
        open=is_open,
        note=mask_contact_details(steps.note, *personal),
        merged_into=steps.merged_into,
        category_code=row["category_code"],
        category=category,
        description=mask_contact_details(row["description"], *personal),
        org=_organisation(catalogue, row["org_code"]),
        limit=limit,
        requested_at=requested,
        updated_at=updated,
        expected_at=row["due"],
        address=mask_contact_details(row["address"], *personal) or places.get(row["community_code"], ""),
        microgrid_code=row["microgrid_code"],
        lon=row["lon"],
        lat=row["lat"],
    )


def _organisation(catalogue: Catalogue, code: str | None) -> Organisation | None:
    if code is None:
        return None
    try:
        return catalogue.organisation(code)
    except UnknownOrganisation:
        return None
