"""Open311 GeoReport v2 at /open311/v2: the specification's examples, in XML and JSON, against our catalogue.

The examples are those of the specification (open311.github.io, GeoReport_v2 and Service_Discovery),
with our codes: service C0101 (井盖, manhole covers), jurisdiction D (the district), micro-grid D1111.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from civicgrid.services import accounts, api_keys
from conftest import Civic

BASE = "/open311/v2"
FORMATS = ("xml", "json")
INSIDE = {"lat": "35.4025", "long": "116.6025"}  # micro-grid D1111
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def api_key(civic: Civic, name: str = "wechat-miniapp") -> str:
    return api_keys.create_api_key(
        uow=civic.app.uow, actor=accounts.command_line_actor(), name=name, now=civic.clock()
    )


def parse_xml(r: httpx.Response) -> ET.Element:
    """The answer as XML: declared UTF-8, served as text/xml, well-formed."""
    assert r.headers["content-type"] == "text/xml; charset=utf-8", r.text
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(r.content)


def parse_json(r: httpx.Response) -> Any:
    assert r.headers["content-type"] == "application/json; charset=utf-8", r.text
    return json.loads(r.content.decode("utf-8"))


def children(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def xml_error(r: httpx.Response, status: int) -> ET.Element:
    assert r.status_code == status, r.text
    root = parse_xml(r)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    error = root.find("error")
    assert error is not None and [c.tag for c in error] == ["code", "description"]
    return error


def json_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = parse_json(r)
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    error: dict[str, Any] = body[0]
    return error


def error_code(r: httpx.Response, fmt: str, status: int) -> str:
    """The body's error code, checking the errors[error{code, description}] shape of ``fmt``."""
    if fmt == "xml":
        return xml_error(r, status).findtext("code") or ""
    return str(json_error(r, status)["code"])


def post(civic: Civic, fmt: str = "xml", **form: Any) -> httpx.Response:
    return civic.client.post(f"{BASE}/requests.{fmt}", data=form)


def manhole(key: str, **extra: Any) -> dict[str, Any]:
    """The specification's example POST, adapted to a missing manhole cover in micro-grid D1111."""
    return {
        "api_key": key,
        "jurisdiction_id": "D",
        "service_code": "C0101",
        **INSIDE,
        "address_string": "东苑小区3号楼南侧",
        "email": "zhangsan@example.com",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812341234",
        "description": "井盖缺失，晚上很危险",
        "media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
        "attribute[cover_type]": "sewage",
        "attribute[condition]": "missing",
    } | extra


def file(civic: Civic, key: str, **extra: Any) -> str:
    r = post(civic, "json", **manhole(key, **extra))
    assert r.status_code == 200, r.text
    number: str = parse_json(r)[0]["service_request_id"]
    return number


# -- discovery and services -------------------------------------------------------------------------


def test_discovery_names_this_endpoint_and_both_formats(civic: Civic) -> None:
    root = parse_xml(civic.client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoints = root.findall("endpoints/endpoint")
    assert len(endpoints) == 1
    endpoint = endpoints[0]
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert (endpoint.findtext("url") or "").endswith("/open311/v2")
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]

    doc = parse_json(civic.client.get(f"{BASE}/discovery.json"))
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    assert doc["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert doc["endpoints"][0]["url"] == endpoint.findtext("url")


def test_services_are_the_catalogue_in_both_formats_and_languages(civic: Civic) -> None:
    root = parse_xml(civic.client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "D"}))
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    by_code = {s.findtext("service_code"): s for s in root}
    manhole_cover = by_code["C0101"]
    assert [c.tag for c in manhole_cover] == SERVICE_FIELDS
    assert children(manhole_cover) | {"description": "", "keywords": ""} == {
        "service_code": "C0101",
        "service_name": "井盖",
        "description": "",
        "metadata": "true",
        "type": "realtime",
        "keywords": "",
        "group": children(manhole_cover)["group"],
    }
    assert children(manhole_cover)["group"] and "井盖" in (manhole_cover.findtext("keywords") or "")
    assert {s.findtext("metadata") for s in root} == {"true", "false"}  # only categories with questions

    services = parse_json(civic.client.get(f"{BASE}/services.json"))
    assert isinstance(services, list) and len(services) == len(root)
    first = next(s for s in services if s["service_code"] == "C0101")
    assert list(first) == SERVICE_FIELDS and first["metadata"] is True and first["service_name"] == "井盖"

    english = parse_json(civic.client.get(f"{BASE}/services.json", headers={"Accept-Language": "en-GB"}))
    assert next(s for s in english if s["service_code"] == "C0101")["service_name"].isascii()
    by_param = parse_json(civic.client.get(f"{BASE}/services.json", params={"locale": "en"}))
    assert by_param == english


def test_a_service_definition_lists_its_attributes_in_order(civic: Civic) -> None:
    root = parse_xml(civic.client.get(f"{BASE}/services/C0101.xml", params={"jurisdiction_id": "D"}))
    assert root.tag == "service_definition" and [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "C0101"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["cover_type", "condition"]
    first = attributes[0]
    assert [c.tag for c in first] == ATTRIBUTE_FIELDS
    assert (first.findtext("variable"), first.findtext("datatype"), first.findtext("required")) == (
        "true",
        "singlevaluelist",
        "true",
    )
    assert [a.findtext("order") for a in attributes] == ["1", "2"]
    values = first.findall("values/value")
    assert "sewage" in [v.findtext("key") for v in values]
    assert all([c.tag for c in v] == ["key", "name"] and v.findtext("name") for v in values)

    doc = parse_json(civic.client.get(f"{BASE}/services/C0303.json"))
    assert doc["service_code"] == "C0303"
    (waste,) = doc["attributes"]
    assert list(waste) == ATTRIBUTE_FIELDS
    assert waste["datatype"] == "multivaluelist" and waste["required"] is False and waste["order"] == 1
    assert {"key": "kitchen", "name": waste["values"][0]["name"]} in waste["values"]

    plain = parse_json(civic.client.get(f"{BASE}/services/C0102.json"))
    assert plain == {"service_code": "C0102", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_services_jurisdictions_formats_and_tokens_are_404(civic: Civic, fmt: str) -> None:
    assert error_code(civic.client.get(f"{BASE}/services/NOPE.{fmt}"), fmt, 404) == "unknown_category"
    r = civic.client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "sfgov.org"})
    assert error_code(r, fmt, 404) == "unknown_jurisdiction"
    assert error_code(civic.client.get(f"{BASE}/tokens/12345.{fmt}"), fmt, 404) == "unknown_token"
    assert error_code(civic.client.get(f"{BASE}/requests/1.{fmt}"), fmt, 404) == "unknown_request"
    assert error_code(civic.client.get(f"{BASE}/nothing.{fmt}"), fmt, 404) == "not_found"
    # An unknown extension is an unknown resource; its error comes in XML, the required format.
    assert xml_error(civic.client.get(f"{BASE}/services.csv"), 404).findtext("code") == "unknown_format"


# -- POST requests ----------------------------------------------------------------------------------


def test_the_specifications_example_request_files_a_case(civic: Civic) -> None:
    key = api_key(civic)
    r = post(civic, "xml", **manhole(key))
    assert r.status_code == 200, r.text
    root = parse_xml(r)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    number = request.findtext("service_request_id") or ""
    assert number.startswith("20261102")
    assert "24小时" in (request.findtext("service_notice") or "")  # the limit of a manhole cover
    assert request.find("token") is None  # realtime: an id, never a token

    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["source"] == "open311" and case["category_code"] == "C0101"
    assert case["reporter"]["name"] == "张三" and case["reporter"]["phone"] == "13812341234"
    assert case["reporter"]["email"] == "zhangsan@example.com"
    assert case["address"] == "东苑小区3号楼南侧" and case["areas"]["microgrid"] == "D1111"
    assert case["attributes"] == {
        "cover_type": "sewage",
        "condition": "missing",
        "open311_media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
    }

    answer = post(civic, "json", **manhole(key, first_name="John", last_name="Smith"))
    assert answer.status_code == 200
    (created,) = parse_json(answer)
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] is None
    latin = civic.client.get(f"/api/v1/cases/{created['service_request_id']}", headers=civic.as_("operator"))
    assert latin.json()["reporter"]["name"] == "John Smith"


@pytest.mark.parametrize("fmt", FORMATS)
def test_creating_needs_a_valid_api_key(civic: Civic, fmt: str) -> None:
    key = api_key(civic)
    assert error_code(post(civic, fmt, **manhole("")), fmt, 403) == "api_key_missing"
    assert error_code(post(civic, fmt, **manhole("cgk_not-a-key")), fmt, 403) == "api_key_invalid"
    without = manhole(key)
    del without["api_key"]
    assert error_code(post(civic, fmt, **without), fmt, 403) == "api_key_missing"
    api_keys.revoke_api_key(
        uow=civic.app.uow, actor=accounts.command_line_actor(), key_or_prefix=key, now=civic.clock()
    )
    assert error_code(post(civic, fmt, **manhole(key)), fmt, 403) == "api_key_invalid"
    listed = parse_json(civic.client.get(f"{BASE}/requests.json"))
    assert listed == []  # nothing was filed


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_requests_are_refused_with_the_right_status(civic: Civic, fmt: str) -> None:
    key = api_key(civic)
    no_code = manhole(key)
    del no_code["service_code"]
    no_place = {k: v for k, v in manhole(key).items() if k not in ("lat", "long", "address_string")}
    cases = [
        (manhole(key, service_code="NOPE"), 404, "unknown_category"),
        (manhole(key, jurisdiction_id="sfgov.org"), 404, "unknown_jurisdiction"),
        (no_code, 400, "missing_argument"),
        (no_place, 400, "location_required"),
        (manhole(key, long=""), 400, "missing_argument"),  # lat without long
        (manhole(key, lat="north"), 400, "invalid_argument"),
        (manhole(key, lat="0", long="0"), 400, "outside_district"),
        (manhole(key, **{"attribute[condition]": ""}), 400, "attribute_required"),
        (manhole(key, **{"attribute[cover_type]": "gold"}), 400, "attribute_invalid"),
        (manhole(key, description="<b>井盖</b>缺失"), 400, "markup_not_allowed"),
        (manhole(key, description="x" * 4001), 400, "invalid_report"),
        (manhole(key, phone="call me"), 400, "invalid_report"),
        (manhole(key, address_id="D9999", lat="", long=""), 400, "unknown_address_id"),
    ]
    for form, status, code in cases:
        assert error_code(post(civic, fmt, **form), fmt, status) == code, form
    assert parse_json(civic.client.get(f"{BASE}/requests.json")) == []


def test_errors_follow_the_callers_language(civic: Civic) -> None:
    r = post(civic, "json", service_code="C0101")
    assert "api_key" in json_error(r, 403)["description"]
    english = civic.client.post(
        f"{BASE}/requests.json", data={"service_code": "C0101"}, headers={"Accept-Language": "en"}
    )
    chinese = json_error(r, 403)["description"]
    assert json_error(english, 403)["description"].isascii() and not chinese.isascii()


def test_multivaluelist_answers_and_unknown_attributes(civic: Civic) -> None:
    key = api_key(civic)
    form = {
        "api_key": key,
        "service_code": "C0303",
        **INSIDE,
        "description": "垃圾站满溢",
        "attribute[waste_type][]": ["kitchen", "bulky", "kitchen"],
        "attribute[fixmystreet_id]": "42",  # a client's own attribute: not in the definition, dropped
    }
    r = post(civic, "xml", **form)
    assert r.status_code == 200, r.text
    number = parse_xml(r).findtext("request/service_request_id")
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["attributes"] == {"waste_type": ["kitchen", "bulky"]}
    assert case["reporter"]["anonymous"] is True

    one = post(civic, "json", **(form | {"attribute[waste_type][]": "recyclable"}))
    assert one.status_code == 200
    number = parse_json(one)[0]["service_request_id"]
    single = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert single["attributes"] == {"waste_type": ["recyclable"]}

    wrong = form | {"attribute[waste_type][]": ["kitchen", "gold"]}
    assert error_code(post(civic, "json", **wrong), "json", 400) == "attribute_invalid"
    two = manhole(key, **{"attribute[cover_type][]": ["water", "gas"]})
    assert error_code(post(civic, "json", **two), "json", 400) == "attribute_invalid"


def test_empty_optional_arguments_are_absent_and_an_address_id_is_a_place(civic: Civic) -> None:
    key = api_key(civic)
    form = {
        "api_key": key,
        "jurisdiction_id": "",
        "service_code": "C0102",
        "lat": "",
        "long": "",
        "address_string": "",
        "address_id": "D1111",
        "email": "",
        "first_name": "",
        "last_name": "",
        "phone": "",
        "description": "",
        "media_url": "",
    }
    r = post(civic, "json", **form)
    assert r.status_code == 200, r.text
    number = parse_json(r)[0]["service_request_id"]
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["areas"]["microgrid"] == "D1111" and case["reporter"]["anonymous"] is True
    assert case["description"] == "雨水箅子"  # no description: the service names the problem
    assert case["attributes"] == {}
    (public,) = parse_json(civic.client.get(f"{BASE}/requests/{number}.json"))
    assert public["address_id"] == "D1111" and public["address"] == "高新区-1-1"  # no address: the community

    by_name = post(civic, "json", **(form | {"address_id": "", "address_string": "高新区-1-1-1-1 路口"}))
    assert by_name.status_code == 200, by_name.text


def test_a_category_that_needs_a_contact_refuses_an_anonymous_report(civic: Civic) -> None:
    key = api_key(civic)
    form = {
        "api_key": key,
        "service_code": "E0602",
        **INSIDE,
        "description": "商家拒绝退款",
        "attribute[merchant]": "某超市",
    }
    assert error_code(post(civic, "xml", **form), "xml", 400) == "contact_required"
    assert post(civic, "xml", **(form | {"phone": "13812341234"})).status_code == 200


# -- GET requests -----------------------------------------------------------------------------------


def test_requests_have_every_field_of_the_specification_in_both_formats(civic: Civic) -> None:
    key = api_key(civic)
    number = file(civic, key)
    root = parse_xml(civic.client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == REQUEST_FIELDS
    fields = children(request)
    assert fields | {"service_notice": ""} == {
        "service_request_id": number,
        "status": "open",
        "status_notes": "",
        "service_name": "井盖",
        "service_code": "C0101",
        "description": "井盖缺失，晚上很危险",
        "agency_responsible": "",  # not dispatched yet
        "service_notice": "",
        "requested_datetime": "2026-11-02T09:00:00+08:00",
        "updated_datetime": "2026-11-02T09:00:00+08:00",
        "expected_datetime": "",
        "address": "东苑小区3号楼南侧",
        "address_id": "D1111",
        "zipcode": "",
        "lat": "35.4025",
        "long": "116.6025",
        "media_url": "",
    }
    assert fields["service_notice"]

    (doc,) = parse_json(civic.client.get(f"{BASE}/requests.json"))
    assert list(doc) == REQUEST_FIELDS
    assert doc["service_request_id"] == number and doc["lat"] == 35.4025 and doc["long"] == 116.6025
    assert doc["status_notes"] is None and doc["zipcode"] is None and doc["media_url"] is None

    one = parse_xml(civic.client.get(f"{BASE}/requests/{number}.xml", params={"jurisdiction_id": "D"}))
    assert [children(r) for r in one] == [fields]
    assert parse_json(civic.client.get(f"{BASE}/requests/{number}.json")) == [doc]


def test_status_updates_notes_and_agency_follow_the_case(civic: Civic) -> None:
    key = api_key(civic)
    handled, rejected, merged = file(civic, key), file(civic, key), file(civic, key)
    operator = civic.as_("operator")

    def act(number: str, action: str, **body: Any) -> None:
        r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=operator)
        assert r.status_code == 200, r.text

    civic.clock.advance(hours=1)
    act(rejected, "reject", reason="不属于本区管辖")
    act(merged, "merge", into=handled, note="同一井盖")
    act(handled, "register")
    act(handled, "dispatch", org_code="chengguan", assignee_code="F0001")
    civic.clock.advance(hours=1)
    for action, body in (("accept", {}), ("start", {}), ("report", {"note": "已补装井盖"})):
        r = civic.client.post(f"/api/v1/cases/{handled}/{action}", json=body, headers=civic.as_("worker"))
        assert r.status_code == 200, r.text

    listed = {r["service_request_id"]: r for r in parse_json(civic.client.get(f"{BASE}/requests.json"))}
    assert listed[rejected]["status"] == "closed" and listed[rejected]["status_notes"] == "不属于本区管辖"
    assert listed[rejected]["updated_datetime"] == "2026-11-02T10:00:00+08:00"
    assert listed[merged]["status"] == "closed" and handled in listed[merged]["status_notes"]
    case = listed[handled]
    assert case["status"] == "open" and case["status_notes"] == "已补装井盖"
    assert case["agency_responsible"] and case["expected_datetime"] is not None
    assert case["updated_datetime"] == "2026-11-02T11:00:00+08:00"

    closed = parse_json(civic.client.get(f"{BASE}/requests.json", params={"status": "closed"}))
    assert {r["service_request_id"] for r in closed} == {rejected, merged}
    open_ = parse_xml(civic.client.get(f"{BASE}/requests.xml", params={"status": "open"}))
    assert [r.findtext("service_request_id") for r in open_] == [handled]
    both = parse_json(civic.client.get(f"{BASE}/requests.json", params={"status": "open,closed"}))
    assert len(both) == 3
    english = parse_json(civic.client.get(f"{BASE}/requests.json", params={"locale": "en"}))
    assert all(r["service_name"].isascii() and r["service_notice"].isascii() for r in english)


def test_request_queries_by_ids_codes_and_dates(civic: Civic) -> None:
    key = api_key(civic)
    old = file(civic, key)
    civic.clock.advance(days=100)
    a, b = file(civic, key), file(civic, key)
    r = post(civic, "json", api_key=key, service_code="C0303", description="垃圾站满溢", **INSIDE)
    waste = parse_json(r)[0]["service_request_id"]

    def ids(fmt: str = "json", **params: str) -> list[str]:
        r = civic.client.get(f"{BASE}/requests.{fmt}", params=params)
        assert r.status_code == 200, r.text
        if fmt == "xml":
            return [x.findtext("service_request_id") or "" for x in parse_xml(r)]
        return [x["service_request_id"] for x in parse_json(r)]

    assert ids() == [waste, b, a]  # the last 90 days, newest first: the old one is out
    assert ids("xml") == [waste, b, a]
    assert ids(service_code="C0303") == [waste]
    assert ids(service_code="C0101,C0303", status="open") == [waste, b, a]
    # service_request_id overrides every other argument, the default window included.
    assert sorted(ids("xml", service_request_id=f"{old}, {a}", status="closed")) == sorted([old, a])
    assert ids(start_date="2026-11-01T00:00:00+08:00", end_date="2026-11-03T00:00:00Z") == [old]
    assert ids(start_date="2026-11-01T00:00:00+08:00") == [old]
    assert ids(start_date="2026-11-01T00:00:00 08:00") == [old]  # a '+' the client forgot to encode
    # The specification's sample query, with our dates and jurisdiction.
    sample = {"start_date": "2027-01-24T00:00:00Z", "end_date": "2027-02-24T00:00:00Z", "status": "open"}
    assert ids("xml", **sample, jurisdiction_id="D") == [waste, b, a]
    assert ids(start_date="", end_date="", status="", service_code="") == [waste, b, a]
    assert ids(page_size="2") == [waste, b] and ids(page_size="2", page="2") == [a]
    # The ends of the calendar, where a time zone or the 90-day window would overflow, find nothing.
    assert ids(end_date="0001-01-01T00:00:00+08:00") == [] == ids(start_date="9999-12-31T00:00:00-08:00")

    for fmt in FORMATS:
        span = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
        r = civic.client.get(f"{BASE}/requests.{fmt}", params=span)
        assert error_code(r, fmt, 400) == "date_span_too_long"
        backwards = {"start_date": "2026-11-05T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}
        assert error_code(civic.client.get(f"{BASE}/requests.{fmt}", params=backwards), fmt, 400)
        for bad in ({"start_date": "yesterday"}, {"status": "pending"}, {"page_size": "5000"}, {"page": "²"}):
            assert error_code(civic.client.get(f"{BASE}/requests.{fmt}", params=bad), fmt, 400)


def test_no_personal_data_leaves_through_open311(civic: Civic) -> None:
    key = api_key(civic)
    number = file(
        civic,
        key,
        description="张三报：井盖缺失，电话13812341234，或 138-1234-1234，邮箱zhangsan@example.com",
        address_string="东苑小区3号楼 张三家门口",
    )
    civic.client.post(
        "/api/v1/cases",
        json={
            "category_code": "C0102",
            "description": "箅子堵了，联系李四 13900001111，身份证110101199003071234",
            "lon": 116.6025,
            "lat": 35.4025,
            "reporter_name": "李四",
            "reporter_phone": "13900001111",
        },
    )
    paths = [f"requests.{fmt}" for fmt in FORMATS] + [f"requests/{number}.{fmt}" for fmt in FORMATS]
    personal = ("张三", "李四", "13812341234", "1234-1234", "13900001111", "zhangsan", "110101199003")
    for path in paths:
        text = civic.client.get(f"{BASE}/{path}").content.decode("utf-8")
        for value in personal:
            assert value not in text, (value, text)
        assert "井盖缺失" in text
    (doc,) = parse_json(civic.client.get(f"{BASE}/requests/{number}.json"))
    assert doc["description"].startswith("***报：井盖缺失")
    assert doc["address"] == "东苑小区3号楼 ***家门口"


def test_xml_stays_well_formed_whatever_was_reported(civic: Civic) -> None:
    # The JSON API takes control characters that XML 1.0 cannot carry; Open311 drops them, keeps the rest.
    r = civic.client.post(
        "/api/v1/cases",
        json={
            "category_code": "C0102",
            "description": "箅子\u0007堵了 <script>&\"'",
            "lon": 116.6025,
            "lat": 35.4025,
        },
    )
    assert r.status_code == 201, r.text
    root = parse_xml(civic.client.get(f"{BASE}/requests.xml"))
    assert root.findtext("request/description") == "箅子堵了 <script>&\"'"
    assert root.findtext("request/service_name") == "雨水箅子"
    assert "雨水箅子".encode() in civic.client.get(f"{BASE}/requests.xml").content  # UTF-8, not entities
    assert parse_json(civic.client.get(f"{BASE}/requests.json"))[0]["description"] == "箅子堵了 <script>&\"'"


def test_open311_lists_are_public_but_old_requests_age_out(civic: Civic) -> None:
    key = api_key(civic)
    number = file(civic, key)
    assert [r["service_request_id"] for r in parse_json(civic.client.get(f"{BASE}/requests.json"))] == [
        number
    ]
    civic.clock.advance(days=91)
    assert parse_json(civic.client.get(f"{BASE}/requests.json")) == []
    assert parse_json(civic.client.get(f"{BASE}/requests/{number}.json"))[0]["service_request_id"] == number


def test_an_oversize_body_is_refused_in_the_open311_shape(civic: Civic) -> None:
    big = b"x" * (31 * 1024 * 1024)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"}
    r = civic.client.post("/open311/v2/requests.xml", content=big, headers=headers)
    assert r.status_code == 413
    root = ET.fromstring(r.content)
    assert root.tag == "errors" and root.find("error/code").text == "body_too_large"  # type: ignore[union-attr]
    r = civic.client.post("/open311/v2/requests.json", content=big, headers=headers)
    assert r.status_code == 413 and r.json() == [
        {"code": "body_too_large", "description": "The request is too large."}
    ]
