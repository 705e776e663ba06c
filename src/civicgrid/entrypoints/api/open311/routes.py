"""/open311/v2: Open311 GeoReport v2 over the same services as the JSON API; XML or JSON by extension."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.entrypoints.api.open311 import mapping, service
from civicgrid.entrypoints.api.open311.params import parse_form, parse_query, present
from civicgrid.entrypoints.api.open311.render import parse_format, render
from civicgrid.i18n import normalise_locale

PREFIX = "/open311/v2"


class Open311Error(BaseModel):
    code: str
    description: str


ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": list[Open311Error],
        "description": "Refused: errors[error{code, description}], in the resource's format.",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
}
router = APIRouter(prefix=PREFIX, tags=["open311"], responses=ERRORS)
Arg = Annotated[str | None, Query(max_length=200)]
IdList = Annotated[str | None, Query(max_length=8000, description="Comma-separated; overrides the rest.")]


def locale_of(request: Request) -> str:
    """zh_CN unless ``?locale=en`` (or ``?lang=en``, or Accept-Language: en) asks for English."""
    chosen = request.query_params.get("locale")
    return normalise_locale(chosen) if chosen else request_locale(request)


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The urlencoded body as (name, value) pairs in order; uploaded files are not taken."""
    form = await request.form()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, app: AppDep) -> Response:
    """Service discovery: this endpoint, its formats and where API keys come from."""
    out = parse_format(fmt)
    base = (app.settings.public_url or str(request.base_url)).rstrip("/")
    return render(out, "discovery", mapping.discovery(base + PREFIX, locale_of(request)))


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, app: AppDep, jurisdiction_id: Arg = None) -> Response:
    """Every category (小类) as a service, grouped by major category (大类)."""
    out = parse_format(fmt)
    catalogue, offered = service.list_services(uow=app.reader, jurisdiction=present(jurisdiction_id))
    return render(out, "services", mapping.services(catalogue, offered, locale_of(request)))


@router.get("/services/{service_code}.{fmt}")
def service_definition(
    service_code: str, fmt: str, request: Request, app: AppDep, jurisdiction_id: Arg = None
) -> Response:
    """A service's attributes (the category's extra questions); 404 for an unknown service_code."""
    out = parse_format(fmt)
    category = service.service_definition(
        uow=app.reader, jurisdiction=present(jurisdiction_id), code=service_code
    )
    return render(out, "service_definition", mapping.definition(category, locale_of(request)))


@router.post("/requests.{fmt}")
def create_request(
    fmt: str, request: Request, app: AppDep, pairs: Annotated[list[tuple[str, str]], Depends(form_pairs)]
) -> Response:
    """File a request (application/x-www-form-urlencoded, api_key required); answered with its id."""
    out = parse_format(fmt)
    filed = service.file_request(
        uow=app.uow, reader=app.reader, locator=app.locator, request=parse_form(pairs), now=app.clock()
    )
    app.suggester.notify([filed.id])  # the suggestion follows, as for every other door
    return render(out, "service_requests", mapping.filed(filed, locale_of(request)))


@router.get("/requests.{fmt}")
def find_requests(
    fmt: str,
    request: Request,
    app: AppDep,
    service_request_id: IdList = None,
    service_code: Annotated[str | None, Query(max_length=2000)] = None,
    start_date: Arg = None,
    end_date: Arg = None,
    status: Arg = None,
    page: Arg = None,
    page_size: Arg = None,
    jurisdiction_id: Arg = None,
) -> Response:
    """Requests of the last 90 days (or start_date..end_date, at most 90 days), newest first, 1000 a page."""
    out = parse_format(fmt)
    zone = ZoneInfo(app.settings.timezone)
    query = parse_query(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        page=page,
        page_size=page_size,
        jurisdiction_id=jurisdiction_id,
        zone=zone,
    )
    found = service.find_requests(uow=app.reader, query=query, now=app.clock())
    return render(out, "service_requests", mapping.requests(found, locale_of(request), zone))


@router.get("/requests/{service_request_id}.{fmt}")
def read_request(
    service_request_id: str, fmt: str, request: Request, app: AppDep, jurisdiction_id: Arg = None
) -> Response:
    """One request as a one-element list; 404 for an unknown id."""
    out = parse_format(fmt)
    found = service.request_by_number(
        uow=app.reader, number=service_request_id, jurisdiction=present(jurisdiction_id)
    )
    zone = ZoneInfo(app.settings.timezone)
    return render(out, "service_requests", mapping.requests([found], locale_of(request), zone))


@router.get("/tokens/{token}.{fmt}")
def read_token(token: str, fmt: str, app: AppDep, jurisdiction_id: Arg = None) -> Response:
    """Always 404: every service is realtime, so requests get their id at once and no token is issued."""
    parse_format(fmt)
    service.request_for_token(uow=app.reader, token=token, jurisdiction=present(jurisdiction_id))
