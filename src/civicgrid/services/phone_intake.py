"""Phone intake (12345 热线受理): what an operator types becomes a report, or a refusal naming the field.

The operator's form is forgiving on purpose: the category may be its code or the "CODE name" line of the
type-ahead list, the place may be an address, a map point or a micro-grid found by code or name. Anything
that cannot be resolved is refused with the field it is about, so the form comes back with the caller's
words intact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from civicgrid.adapters.db.unit_of_work import UnitOfWork
from civicgrid.analytics.area_search import search_areas
from civicgrid.domain.case_types import Source
from civicgrid.domain.catalogue import Catalogue, Category, Urgency
from civicgrid.domain.errors import N_, DomainError
from civicgrid.services.intake import ReportCase

MAX_NAME = 100
MAX_PHONE = 32
MAX_ADDRESS = 500


class PhoneCallRefused(DomainError):
    """A refusal about one field of the phone form (``field`` names it)."""

    code = "phone_call_refused"
    field = ""


class CategoryNotChosen(PhoneCallRefused):
    code = "category_not_chosen"
    field = "category"
    message = N_("Choose a category from the list: type part of its name or its code.")


class CategoryAmbiguous(PhoneCallRefused):
    code = "category_ambiguous"
    field = "category"
    message = N_('"{text}" fits several categories; pick one from the list.')


class BadUrgency(PhoneCallRefused):
    code = "bad_urgency"
    field = "urgency"
    message = N_("Choose normal, urgent or emergency.")


class MicrogridNotFound(PhoneCallRefused):
    code = "microgrid_not_found"
    field = "microgrid"
    message = N_('No micro-grid has the code or name "{text}".')


class MicrogridAmbiguous(PhoneCallRefused):
    code = "microgrid_ambiguous"
    field = "microgrid"
    message = N_('"{text}" matches several micro-grids; pick one from the list.')


class PlaceRequired(PhoneCallRefused):
    code = "place_required"
    field = "address"
    message = N_("Say where: type the address, pick a point on the map or find the micro-grid.")


class BadPoint(PhoneCallRefused):
    code = "bad_point"
    field = "address"
    message = N_("The map point is not a valid longitude and latitude.")


class TooLong(PhoneCallRefused):
    code = "too_long"
    message = N_("This text is longer than {limit} characters.")

    def __init__(self, *, field: str, limit: int) -> None:
        super().__init__(limit=limit)
        self.field = field


class PhoneRequired(PhoneCallRefused):
    code = "caller_phone_required"
    field = "reporter_phone"
    message = N_("Write down the caller's phone number, or tick 'caller stays anonymous'.")


@dataclass(frozen=True)
class PhoneCall:
    """The operator's form as typed (all text: nothing is lost on the way back to the form)."""

    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    category: str = ""
    urgency: str = ""
    description: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    microgrid: str = ""


@dataclass(frozen=True)
class PreparedCall:
    """The report to file, with the category and micro-grid the operator's words resolved to."""

    report: ReportCase
    category: Category
    microgrid_code: str | None


def prepare_call(*, uow: Callable[[], UnitOfWork], call: PhoneCall) -> PreparedCall:
    """Resolve the typed category and place; refuse with the field at fault, before anything is written."""
    for name, value, limit in (
        ("reporter_name", call.reporter_name, MAX_NAME),
        ("reporter_phone", call.reporter_phone, MAX_PHONE),
        ("address", call.address, MAX_ADDRESS),
        ("microgrid", call.microgrid, MAX_ADDRESS),
    ):
        if len(value) > limit:
            raise TooLong(field=name, limit=limit)
    if not call.anonymous and not call.reporter_phone.strip():
        raise PhoneRequired()
    urgency = _urgency(call.urgency)
    with uow() as u:
        category = resolve_category(u.reference.catalogue(), call.category)
        lon, lat, microgrid = resolve_place(
            u, lon=call.lon, lat=call.lat, microgrid=call.microgrid, address=call.address
        )
    report = ReportCase(
        source=Source.HOTLINE,
        category_code=category.code,
        description=call.description,
        lon=lon,
        lat=lat,
        address=call.address.strip(),
        reporter_name=None if call.anonymous else call.reporter_name,
        reporter_phone=None if call.anonymous else call.reporter_phone,
        anonymous=call.anonymous,
        urgency=urgency,
    )
    return PreparedCall(report=report, category=category, microgrid_code=microgrid)


def resolve_category(catalogue: Catalogue, text: str) -> Category:
    """A category from its code, a 'CODE name' list line, its exact name, or a search with one answer."""
    text = text.strip()
    if not text:
        raise CategoryNotChosen()
    by_code = {c.code.lower(): c for c in catalogue.categories}
    first = text.split()[0].lower()
    if first in by_code:
        return by_code[first]
    for c in catalogue.categories:
        if text in (c.name_zh, c.name_en) or text.lower() == c.name_en.lower():
            return c
    found = catalogue.search(text)
    if len(found) == 1:
        return found[0]
    if found:
        raise CategoryAmbiguous(text=text[:40])
    raise CategoryNotChosen()


def _urgency(text: str) -> Urgency | None:
    if not text.strip():
        return None  # the category's own default
    try:
        return Urgency(text.strip())
    except ValueError:
        raise BadUrgency() from None


def resolve_place(
    u: UnitOfWork, *, lon: str, lat: str, microgrid: str, address: str
) -> tuple[float | None, float | None, str | None]:
    """A map point wins, then a micro-grid (at a point inside it), then the address alone (the gazetteer)."""
    if lon.strip() or lat.strip():
        try:
            x, y = float(lon), float(lat)
        except ValueError:
            raise BadPoint() from None
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            raise BadPoint()
        return x, y, None
    text = microgrid.strip()
    if text:
        # The list shows 'name · grid · community · street (CODE)': the code in brackets decides.
        code = text.rsplit("(", 1)[-1].rstrip(")").strip() if text.endswith(")") else text
        hits = search_areas(u.conn, text=code, limit=2)
        exact = [h for h in hits if h.code.lower() == code.lower()]
        if exact:
            return exact[0].lon, exact[0].lat, exact[0].code
        if len(hits) == 1:
            return hits[0].lon, hits[0].lat, hits[0].code
        raise (MicrogridAmbiguous if hits else MicrogridNotFound)(text=text[:40])
    if not address.strip():
        raise PlaceRequired()
    return None, None, None
