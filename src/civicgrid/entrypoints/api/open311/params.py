"""Open311 arguments as sent (query strings and urlencoded forms) turned into typed values.

The specification's rule for optional arguments applies throughout: an empty argument is an absent one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from civicgrid.domain.errors import N_, DomainError
from civicgrid.domain.periods import search_bound

MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000  # the specification's default volume
MAX_IDS = 200
MAX_NAME = 100  # the reporter name column
MAX_EMAIL = 200
STATUSES = ("open", "closed")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
# Something that reads as an HTML or XML tag, comment or entity (a lone '<' in '温度<5度' does not).
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


class MissingArgument(DomainError):
    code = "missing_argument"
    message = N_("The argument {name} is required.")


class InvalidArgument(DomainError):
    code = "invalid_argument"
    message = N_("The argument {name} is not valid: {detail}")


class LocationRequired(DomainError):
    code = "location_required"
    message = N_("Give the location as lat and long, as address_string, or as address_id.")


class MarkupNotAllowed(DomainError):
    code = "markup_not_allowed"
    message = N_("The description may not contain HTML or code; send plain text.")


class DateSpanTooLong(DomainError):
    code = "date_span_too_long"
    message = N_("start_date and end_date may be at most 90 days apart.")


@dataclass(frozen=True)
class NewRequest:
    """A POST requests body: everything optional at this stage, checked further once the service is known."""

    api_key: str | None = None
    jurisdiction_id: str | None = None
    service_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reporter_name(self) -> str | None:
        """first_name and last_name as one name: family name first for Chinese, given name first otherwise."""
        first, last = self.first_name or "", self.last_name or ""
        if not (first or last):
            return None
        if _is_cjk(first + last):
            return last + first
        return f"{first} {last}".strip()


@dataclass(frozen=True)
class RequestQuery:
    """A GET requests query; ``numbers`` overrides everything else, as the specification says."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    jurisdiction_id: str | None = None

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The requested_datetime range: as given, or the 90 days up to the end (default: now)."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        if self.start is not None:
            return self.start, self.start + MAX_SPAN
        end = self.end or now
        return end - MAX_SPAN, end


def present(value: str | None) -> str | None:
    """The argument stripped, or None when it is absent or empty."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_form(items: Iterable[tuple[str, str]]) -> NewRequest:
    """A POST requests form (pairs in order): attribute[CODE]=v and attribute[CODE][]=v collected by code."""
    single: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, raw in items:
        if "\x00" in name or "\x00" in raw:  # before any look-up: PostgreSQL cannot compare text with NUL
            raise InvalidArgument(name=name.replace("\x00", ""), detail=N_("it contains a NUL character"))
        match = _ATTRIBUTE.match(name)
        if match is not None:
            value = present(raw)
            if value is not None:
                attributes.setdefault(match[1], []).append(value)
        elif name not in single:
            single[name] = raw
    values = {name: present(v) for name, v in single.items()}  # empty means absent
    lat, lon = _number(values, "lat", 90), _number(values, "long", 180)
    if (lat is None) != (lon is None):
        raise MissingArgument(name="long" if lon is None else "lat")
    description = values.get("description")
    if description is not None and _MARKUP.search(description):
        raise MarkupNotAllowed()
    request = NewRequest(
        api_key=values.get("api_key"),
        jurisdiction_id=values.get("jurisdiction_id"),
        service_code=values.get("service_code"),
        lat=lat,
        lon=lon,
        address_string=values.get("address_string"),
        address_id=values.get("address_id"),
        email=_capped(values, "email", MAX_EMAIL),
        device_id=values.get("device_id"),
        account_id=values.get("account_id"),
        first_name=values.get("first_name"),
        last_name=values.get("last_name"),
        phone=values.get("phone"),
        description=description,
        media_url=_capped(values, "media_url", 500),
        attributes=attributes,
    )
    reporter = request.reporter_name
    if reporter is not None and len(reporter) > MAX_NAME:
        raise InvalidArgument(name="first_name/last_name", detail=N_("too long"))
    return request


def parse_query(
    *,
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    page: str | None,
    page_size: str | None,
    jurisdiction_id: str | None,
    zone: tzinfo,
) -> RequestQuery:
    """A GET requests query string; times without a zone are the district's local time."""
    jurisdiction = present(jurisdiction_id)
    numbers = _comma_list(service_request_id)
    if len(numbers) > MAX_IDS:
        raise InvalidArgument(name="service_request_id", detail=N_("too many values"))
    if numbers:
        return RequestQuery(numbers=numbers, page_size=MAX_IDS, jurisdiction_id=jurisdiction)
    start = _datetime(start_date, "start_date", zone)
    end = _datetime(end_date, "end_date", zone)
    if start is not None and end is not None:
        if end < start:
            raise InvalidArgument(name="end_date", detail=N_("it is before start_date"))
        if end - start > MAX_SPAN:
            raise DateSpanTooLong()
    statuses = tuple(s.lower() for s in _comma_list(status))
    if any(s not in STATUSES for s in statuses):
        raise InvalidArgument(name="status", detail=N_("use open, closed or both"))
    return RequestQuery(
        service_codes=_comma_list(service_code)[:100],
        start=start,
        end=end,
        statuses=tuple(dict.fromkeys(statuses)),
        page=_whole(page, "page", 1, 100000) or 1,
        page_size=_whole(page_size, "page_size", 1, MAX_PAGE_SIZE) or MAX_PAGE_SIZE,
        jurisdiction_id=jurisdiction,
    )


def _comma_list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in (value or "").split(",") if p.strip()))


def _number(values: dict[str, str | None], name: str, limit: float) -> float | None:
    raw = values.get(name)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise InvalidArgument(name=name, detail=N_("a number is expected")) from None
    if not math.isfinite(number) or abs(number) > limit:
        raise InvalidArgument(name=name, detail=N_("out of range"))
    return number


def _whole(value: str | None, name: str, low: int, high: int) -> int | None:
    raw = present(value)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:  # '²' is a digit, not a number
        raise InvalidArgument(name=name, detail=N_("a whole number in range is expected"))
    return int(raw)


def _capped(values: dict[str, str | None], name: str, limit: int) -> str | None:
    value = values.get(name)
    if value is not None and len(value) > limit:
        raise InvalidArgument(name=name, detail=N_("too long"))
    return value


def _datetime(value: str | None, name: str, zone: tzinfo) -> datetime | None:
    raw = present(value)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        raise InvalidArgument(
            name=name, detail=N_("use the W3C format, e.g. 2026-11-02T09:00:00+08:00")
        ) from None
    return search_bound(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone))


def _is_cjk(text: str) -> bool:
    return bool(text) and all("\u3400" <= ch <= "\u9fff" or ch == "·" for ch in text)
