"""Catalogue entries and public requests as Open311 documents, in the reader's language.

Service names, groups, agencies and notices follow the request's language (Chinese unless English is
asked for); descriptions stay as the reporter wrote them. Datetimes carry the district's UTC offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from civicgrid.domain.catalogue import Catalogue, Category, Datatype
from civicgrid.domain.deadlines import TimeLimit
from civicgrid.entrypoints.api.open311.render import Format, Many
from civicgrid.entrypoints.api.open311.service import Filed, PublicRequest
from civicgrid.i18n import N_, translate

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-02T00:00:00+08:00"  # move it forward when the services or definitions change shape
DATATYPE_HINTS = {
    Datatype.STRING: N_("One line of text."),
    Datatype.NUMBER: N_("A number."),
    Datatype.DATETIME: N_("A date and time, e.g. 2026-11-02T09:00:00+08:00."),
    Datatype.TEXT: N_("Text; line breaks are allowed."),
    Datatype.SINGLEVALUELIST: N_("Choose one of the values."),
    Datatype.MULTIVALUELIST: N_("Choose one or more of the values."),
}


def w3c(moment: datetime | None, zone: tzinfo) -> str | None:
    """A W3C datetime with its UTC offset, to the second: 2026-11-02T09:00:00+08:00."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def discovery(endpoint_url: str, locale: str) -> dict[str, Any]:
    """The service discovery document of this one endpoint."""
    return {
        "changeset": CHANGESET,
        "contact": translate(
            N_("The district's 12345 citizen service centre: call 12345 or write through {url}."),
            locale,
            url=endpoint_url,
        ),
        "key_service": translate(
            N_("API keys are issued by the district's system administrators (civicgrid apikey create)."),
            locale,
        ),
        "endpoints": Many(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": endpoint_url,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": Many("format", [f.mime for f in Format]),
                }
            ],
        ),
    }


def services(catalogue: Catalogue, categories: Sequence[Category], locale: str) -> Many:
    """GET services: every category (小类) as a service, grouped by its major category (大类)."""
    en = locale == "en"
    groups = {m.code: _pick(m.name_zh, m.name_en, en) for m in catalogue.majors}
    return Many(
        "service",
        [
            {
                "service_code": c.code,
                "service_name": _pick(c.name_zh, c.name_en, en),
                "description": _pick(c.description_zh, c.description_en, en),
                "metadata": c.has_metadata,
                "type": "realtime",
                "keywords": ", ".join(c.keywords_en if en and c.keywords_en else c.keywords_zh),
                "group": groups.get(c.major, ""),
            }
            for c in categories
        ],
    )


def definition(category: Category, locale: str) -> dict[str, Any]:
    """GET services/{code}: the category's questions as attributes, in their order."""
    en = locale == "en"
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype.value,
            "required": a.required,
            "datatype_description": translate(DATATYPE_HINTS[a.datatype], locale),
            "order": a.order,
            "description": _pick(a.description_zh, a.description_en, en),
            "values": Many(
                "value", [{"key": v.key, "name": _pick(v.name_zh, v.name_en, en)} for v in a.values]
            ),
        }
        for a in sorted(category.attributes, key=lambda a: a.order)
    ]
    return {"service_code": category.code, "attributes": Many("attribute", attributes)}


def filed(receipt: Filed, locale: str) -> Many:
    """POST requests: the new request's id (realtime, so never a token)."""
    return Many(
        "request",
        [
            {
                "service_request_id": receipt.number,
                "service_notice": _notice(receipt.limit, locale),
                "account_id": None,  # Open311 reporters have no account here
            }
        ],
    )


def requests(found: Sequence[PublicRequest], locale: str, zone: tzinfo) -> Many:
    """GET requests and GET requests/{id}: public fields only."""
    en = locale == "en"
    return Many("request", [_request(r, en, locale, zone) for r in found])


def _request(r: PublicRequest, en: bool, locale: str, zone: tzinfo) -> dict[str, Any]:
    note = r.note
    if r.merged_into:
        note = translate(N_("Duplicate request: merged into {number}."), locale, number=r.merged_into)
    return {
        "service_request_id": r.number,
        "status": "open" if r.open else "closed",
        "status_notes": note,
        "service_name": _pick(r.category.name_zh, r.category.name_en, en) if r.category else "",
        "service_code": r.category_code,
        "description": r.description,
        "agency_responsible": _pick(r.org.name_zh, r.org.name_en, en) if r.org else "",
        "service_notice": _notice(r.limit, locale) if r.limit else "",
        "requested_datetime": w3c(r.requested_at, zone),
        "updated_datetime": w3c(r.updated_at, zone),
        "expected_datetime": w3c(r.expected_at, zone),
        "address": r.address,
        "address_id": r.microgrid_code,
        "zipcode": "",
        "lat": r.lat,
        "long": r.lon,
        "media_url": "",  # photos are served to staff and to the reporter's tracking link only
    }


def _notice(limit: TimeLimit, locale: str) -> str:
    return translate(
        N_("Requests of this kind are handled within {limit} once registered."),
        locale,
        limit=limit.describe(lambda text: translate(text, locale)),
    )


def _pick(zh: str, en_text: str, en: bool) -> str:
    return en_text if en and en_text else zh
