"""Hostile input at the API: stored as data and given back inert, or refused with a 4xx; never a 500.

SQL metacharacters and script/HTML go into every text field of a report, a lifecycle note, a comment and
Open311, and come back byte for byte, as JSON data (or escaped XML). NUL characters, lone surrogates,
invalid UTF-8 (bodies, forms, query strings, headers), path tricks in photo names, deeply nested and
oversize bodies are refused in the documented shape. Every test runs on SQLite and on PostgreSQL, where a
NUL that reaches the database is an error of its own (PostgreSQL text cannot hold one).
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from test_open311 import BASE, api_key, manhole

from civicgrid.entrypoints.api.app import create_app
from conftest import Civic

INSIDE = {"lon": 116.6025, "lat": 35.4025}
SQL = ["'; DROP TABLE cases; --", '" OR 1=1 --', "%' OR '%'='", "\\'; SELECT pg_sleep(5); --", "_%\\"]
MARKUP = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</textarea><svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
]
HOSTILE = SQL + MARKUP


@pytest.fixture
def client(civic: Civic) -> Iterator[TestClient]:
    """A client that gets a 500 as an answer (as a browser would) instead of the server's exception."""
    with TestClient(create_app(civic.app), raise_server_exceptions=False) as c:
        yield c


def post_json(client: TestClient, url: str, body: Any, **headers: str) -> httpx.Response:
    """JSON with \\u escapes: lone surrogates and NUL travel exactly as a hostile client sends them."""
    data = json.dumps(body).encode()
    return client.post(url, content=data, headers={"Content-Type": "application/json", **headers})


def assert_refused(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert field in [f["field"] for f in error["fields"]], r.text
    return error


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# -- stored as data, returned inert ----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_and_markup_in_every_text_field_of_a_report_are_stored_as_data(
    civic: Civic, client: TestClient, text: str
) -> None:
    body = {
        "category_code": "C0101",
        "description": f"井盖缺失 {text}",
        "address": f"东苑小区 {text}",
        "reporter_name": text[:100],
        "reporter_phone": "13812341234",
        **INSIDE,
    }
    r = post_json(client, "/api/v1/cases", body, **{"Idempotency-Key": text})
    assert r.status_code == 201, r.text
    created = r.json()
    assert (
        r.headers["content-type"] == "application/json" and r.headers["x-content-type-options"] == "nosniff"
    )

    case = client.get(f"/api/v1/cases/{created['number']}", headers=civic.as_("operator")).json()
    assert (case["description"], case["address"], case["reporter"]["name"]) == (
        body["description"],
        body["address"],
        body["reporter_name"],
    )
    public = client.get(f"/api/v1/track/{created['tracking_token']}").json()
    assert public["description"] == body["description"]
    # The search treats it as text too: it finds this case and only this one.
    post_json(client, "/api/v1/cases", {**body, "description": "路灯不亮", "address": ""})
    found = client.get("/api/v1/cases", params={"q": text}, headers=civic.as_("operator")).json()
    assert [item["number"] for item in found["items"]] == [created["number"]]
    with civic.app.reader() as u:  # the tables are all there: nothing was executed
        assert u.cases.get_by_number(created["number"]).description == body["description"]


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_and_markup_in_notes_and_comments_are_stored_as_data(
    civic: Civic, client: TestClient, text: str
) -> None:
    number = post_json(client, "/api/v1/cases", {"category_code": "C0101", "description": "井盖", **INSIDE})
    n = number.json()["number"]
    operator = civic.as_("operator")
    assert post_json(client, f"/api/v1/cases/{n}/register", {"note": text}, **operator).status_code == 200
    r = post_json(client, f"/api/v1/cases/{n}/comment", {"note": f"备注 {text}"}, **operator)
    assert r.status_code == 200, r.text
    history = client.get(f"/api/v1/cases/{n}", headers=operator).json()["history"]
    assert [h["note"] for h in history[1:]] == [text, f"备注 {text}"]


@pytest.mark.parametrize("text", SQL)
def test_sql_in_open311_fields_is_stored_as_data(civic: Civic, client: TestClient, text: str) -> None:
    key = api_key(civic)
    form = manhole(key, description=f"井盖缺失 {text}", address_string=text, first_name=text[:40])
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    (doc,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert doc["description"] == f"井盖缺失 {text}"
    root = ET.fromstring(client.get(f"{BASE}/requests/{number}.xml").content)
    assert root.findtext("request/description") == f"井盖缺失 {text}"


@pytest.mark.parametrize("text", MARKUP[:3])
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_open311_refuses_html_in_a_description_as_documented(
    civic: Civic, client: TestClient, text: str, fmt: str
) -> None:
    r = client.post(f"{BASE}/requests.{fmt}", data=manhole(api_key(civic), description=f"井盖 {text}"))
    assert r.status_code == 400
    code = r.json()[0]["code"] if fmt == "json" else ET.fromstring(r.content).findtext("error/code")
    assert code == "markup_not_allowed"


def test_markup_in_open311_names_and_addresses_comes_back_escaped_in_xml(
    civic: Civic, client: TestClient
) -> None:
    text = '<script>alert("x")</script>&amp;'
    r = client.post(f"{BASE}/requests.xml", data=manhole(api_key(civic), address_string=text))
    assert r.status_code == 200, r.text
    raw = client.get(f"{BASE}/requests.xml").content
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw
    assert ET.fromstring(raw).findtext("request/address") == text


# -- refused: NUL, surrogates, invalid UTF-8 -------------------------------------------------------------


REPORT_FIELDS = [
    "category_code",
    "description",
    "address",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
]


@pytest.mark.parametrize("field", REPORT_FIELDS)
@pytest.mark.parametrize("value", ["井盖\x00缺失", "井盖\ud800缺失"], ids=["nul", "lone-surrogate"])
def test_nul_and_lone_surrogates_in_a_report_are_refused_naming_the_field(
    client: TestClient, field: str, value: str
) -> None:
    body = {"category_code": "C0101", "description": "井盖缺失", "reporter_phone": "13812341234", **INSIDE}
    assert_refused(post_json(client, "/api/v1/cases", {**body, field: value}), 422, field)


def test_nul_anywhere_in_a_json_body_is_refused(civic: Civic, client: TestClient) -> None:
    base = {"category_code": "C0101", "description": "井盖缺失", **INSIDE}
    number = post_json(client, "/api/v1/cases", base).json()["number"]
    operator = civic.as_("operator")
    for url, body in (
        ("/api/v1/cases", {**base, "attributes": {"cover_type": "sew\x00age"}}),
        ("/api/v1/cases", {**base, "attributes": {"cover\x00type": "sewage"}}),
        (f"/api/v1/cases/{number}/register", {"note": "立案\x00"}),
        (f"/api/v1/cases/{number}/comment", {"note": "\x00"}),
        ("/api/v1/auth/token", {"username": "operator\x00", "password": "whatever-it-is"}),
        ("/api/v1/auth/session", {"username": "operator", "password": "pass\x00word"}),
        ("/api/v1/track/abcdefghijklmnop/rating", {"satisfaction": "satisfied", "comment": "\x00"}),
    ):
        assert_refused(post_json(client, url, body, **operator), 422)
    case = client.get(f"/api/v1/cases/{number}", headers=operator).json()
    assert case["status"] == "submitted" and len(case["history"]) == 1


@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "phone", "email", "address_string", "service_code", "description"]
)
def test_nul_in_an_open311_form_is_a_400_in_open311_shape(
    civic: Civic, client: TestClient, field: str
) -> None:
    r = client.post(f"{BASE}/requests.json", data=manhole(api_key(civic), **{field: "ab\x00c"}))
    assert r.status_code == 400, r.text
    assert r.json()[0]["code"] in ("invalid_argument", "invalid_report")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases?q=%00",
        "/api/v1/cases?area=D1%00",
        "/api/v1/cases?org=%00",
        "/api/v1/cases/2026%00",
        "/api/v1/areas?parent=%00",
        "/api/v1/track/abcdefghij%00",
        f"{BASE}/requests.json?service_request_id=%00",
        f"{BASE}/requests.json?service_code=C0101%00",
        f"{BASE}/requests/%00.json",
        f"{BASE}/services/C0101%00.json",
    ],
)
def test_a_nul_in_a_path_or_query_is_a_400_in_the_doors_shape(
    civic: Civic, client: TestClient, url: str
) -> None:
    r = client.get(url, headers=civic.as_("operator"))
    assert r.status_code == 400, r.text
    if url.startswith(BASE):
        assert r.json() == [{"code": "bad_request", "description": r.json()[0]["description"]}]
    else:
        assert r.json()["error"]["code"] == "bad_request"


def test_invalid_utf8_in_bodies_queries_and_headers_is_refused_or_harmless(
    civic: Civic, client: TestClient
) -> None:
    json_type = {"Content-Type": "application/json"}
    r = client.post("/api/v1/cases", content=b'{"description": "\xff\xfe\xfd"}', headers=json_type)
    assert_refused(r, 400)
    form = b"api_key=" + api_key(civic).encode() + b"&service_code=C0101&lat=35.4025&long=116.6025"
    for bad in (b"&description=%ff%fe", b"&description=\xff\xfe"):
        r = client.post(
            f"{BASE}/requests.json",
            content=form + bad,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 400, r.text  # refused for what is missing, not fallen over
    operator = civic.as_("operator")
    for query in ("q=%ff%fe", "area=%ff", "lang=%ff", "status=%ff", "from=%ff"):
        r = client.get(f"/api/v1/cases?{query}", headers=operator)
        assert r.status_code in (200, 422), (query, r.text)
    assert client.get(f"{BASE}/services/%ff.json").status_code == 404
    report = {"category_code": "C0101", "description": "井盖缺失", **INSIDE}
    for header in (
        {"Accept-Language": b"\xff\xfe"},
        {"Idempotency-Key": b"\xff\xfe"},
        {"Cookie": b"cg_session=\xff\xfe; lang=\xff"},
    ):
        assert client.post("/api/v1/cases", json=report, headers=header).status_code == 201, header
    assert_refused(client.get("/api/v1/cases/x", headers={"Authorization": b"Bearer \xff\xfe\x80"}), 401)


# -- refused: deeply nested and oversize -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
    ids=["lists", "objects"],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/cases", "/api/v1/cases/20261102000001/comment", "/api/v1/auth/token", "/api/v1/photos"]
)
def test_deeply_nested_json_is_a_4xx(civic: Civic, client: TestClient, body: bytes, url: str) -> None:
    wrapped = b'{"category_code": "C0101", "attributes": ' + body + b"}"
    for data in (body, wrapped):
        r = client.post(
            url, content=data, headers={"Content-Type": "application/json", **civic.as_("operator")}
        )
        assert 400 <= r.status_code < 500, r.text


def test_oversize_fields_are_refused_naming_the_field(civic: Civic, client: TestClient) -> None:
    base = {"category_code": "C0101", "description": "井盖缺失", **INSIDE}
    for field, size in (
        ("description", 4001),
        ("address", 501),
        ("reporter_name", 101),
        ("category_code", 33),
    ):
        assert_refused(post_json(client, "/api/v1/cases", {**base, field: "井" * size}), 422, field)
    many = {f"q{i}": "x" for i in range(51)}
    assert_refused(post_json(client, "/api/v1/cases", {**base, "attributes": many}), 422, "attributes")
    number = post_json(client, "/api/v1/cases", base).json()["number"]
    r = post_json(client, f"/api/v1/cases/{number}/comment", {"note": "x" * 2001}, **civic.as_("operator"))
    assert_refused(r, 422, "note")
    r = client.get("/api/v1/cases", params={"q": "x" * 101}, headers=civic.as_("operator"))
    assert_refused(r, 422, "q")
    key = api_key(civic)
    for field in ("description", "first_name", "email", "media_url", "address_string"):
        r = client.post(f"{BASE}/requests.json", data=manhole(key, **{field: "x" * 5000}))
        assert r.status_code == 400, (field, r.text)


# -- photo names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "a\x00b.png", "照片" * 120 + ".png"],
    ids=["dotdot", "backslash", "absolute", "nul", "long"],
)
def test_a_photos_file_name_is_never_used(civic: Civic, client: TestClient, name: str) -> None:
    uploads = Path(civic.app.settings.upload_dir)
    r = client.post("/api/v1/photos", files=[("files", (name, png(), "image/png"))])
    assert r.status_code == 201, r.text
    (stored,) = r.json()
    digest = stored["name"].split("/")[1].removesuffix(".jpg")
    assert stored["name"] == f"{digest[:2]}/{digest}.jpg"
    written = [p for p in uploads.parent.rglob("*") if p.is_file() and p.suffix == ".jpg"]
    assert written == [uploads / stored["name"]]


def test_a_photo_without_a_name_or_with_an_absurd_one_is_a_4xx(client: TestClient) -> None:
    for name in ("", "x" * 20_000 + ".png"):
        r = client.post("/api/v1/photos", files=[("files", (name, png(), "image/png"))])
        assert r.status_code in (400, 422), r.text
        assert r.json()["error"]["code"] in ("bad_request", "invalid_request")


def test_path_tricks_in_photo_addresses_and_references_find_nothing(civic: Civic, client: TestClient) -> None:
    operator = civic.as_("operator")
    for url in (
        "/api/v1/photos/..%2F..%2Fetc/passwd",
        "/api/v1/photos/../../etc/passwd",
        "/api/v1/photos/%2e%2e/%2e%2e%2fetc%2fpasswd",
        "/api/v1/photos/ab/..%5C..%5Cwin.ini",
    ):
        r = client.get(url, headers=operator)
        assert r.status_code == 404 and b"root:" not in r.content, url
    r = post_json(
        client,
        "/api/v1/cases",
        {"category_code": "C0101", "description": "井盖", **INSIDE, "photos": ["../../etc/passwd"]},
    )
    assert_refused(r, 422)
