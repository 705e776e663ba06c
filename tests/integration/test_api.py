"""The JSON API: intake, the lifecycle through every role, tracking, errors in the caller's language."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from PIL import Image

from conftest import Civic

INSIDE = {"lon": 116.6025, "lat": 35.4025}  # micro-grid D1111 of grid D111


def report(civic: Civic, who: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "category_code": "C0101",
        "description": "东苑小区3号楼下井盖缺失，晚上很危险",
        **INSIDE,
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
    } | extra
    r = civic.client.post("/api/v1/cases", json=body, headers=civic.as_(who) if who else {})
    assert r.status_code == 201, r.text
    return r.json()


def act(civic: Civic, who: str, number: str, action: str, **body: Any) -> dict[str, Any]:
    r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_(who))
    assert r.status_code == 200, (action, r.text)
    return r.json()


def test_health_and_readiness(civic: Civic) -> None:
    assert civic.client.get("/healthz").json()["status"] == "ok"
    ready = civic.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": True,
        "schema": True,
        "map": True,
    }


def test_docs_work_offline(civic: Civic) -> None:
    page = civic.client.get("/docs")
    assert page.status_code == 200 and "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.split("<body")[1]  # nothing from another host
    assert civic.client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert civic.client.get("/static/api/docs-init.js").status_code == 200
    assert civic.client.get("/openapi.json").json()["info"]["title"] == "civicgrid"


def test_an_anonymous_report_is_acknowledged_with_a_number_and_a_tracking_link(civic: Civic) -> None:
    created = report(civic)
    assert created["status"] == "submitted" and created["number"].startswith("20261102")
    assert created["tracking_url"].endswith("/track/" + created["tracking_token"])
    assert "/api/" not in created["tracking_url"]  # the page the reporter opens, not the JSON
    public = civic.client.get(f"/api/v1/track/{created['tracking_token']}").json()
    assert public["number"] == created["number"] and public["area"] == "高新区-1-1"
    text = str(public)
    assert "张三" not in text and "13812341234" not in text and "1234" not in text


def test_the_whole_lifecycle_each_step_by_its_role(civic: Civic) -> None:
    created = report(civic)
    n = created["number"]
    act(civic, "operator", n, "register")
    case = act(civic, "operator", n, "dispatch", org_code="chengguan", assignee_code="F0001")
    assert case["status"] == "dispatched" and case["due"] is not None and case["accept_due"] is not None
    act(civic, "worker", n, "accept")
    act(civic, "worker", n, "start")
    act(civic, "worker", n, "report", note="已补装井盖")
    closed = act(civic, "supervisor", n, "verify", ok=True)
    assert closed["status"] == "closed" and closed["outcome"] == "resolved"
    rated = civic.client.post(
        f"/api/v1/track/{created['tracking_token']}/rating",
        json={"satisfaction": "satisfied", "comment": "很快"},
    )
    assert rated.status_code == 200 and rated.json()["status"] == "evaluated"
    full = civic.client.get(f"/api/v1/cases/{n}", headers=civic.as_("leader")).json()
    assert [h["action"] for h in full["history"]] == [
        "submit",
        "register",
        "dispatch",
        "accept",
        "start",
        "report",
        "verify",
        "callback",
    ]
    assert full["satisfaction"] == "satisfied"


def test_an_illegal_transition_is_409_with_the_current_state(civic: Civic) -> None:
    n = report(civic)["number"]
    r = civic.client.post(f"/api/v1/cases/{n}/verify", json={"ok": True}, headers=civic.as_("supervisor"))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "illegal_transition" and err["params"]["status"] == "submitted"
    assert "已上报" in err["message"]


def test_a_stale_version_is_409_and_nothing_is_overwritten(civic: Civic) -> None:
    n = report(civic)["number"]
    seen = civic.client.get(f"/api/v1/cases/{n}", headers=civic.as_("operator")).json()["version"]
    act(civic, "operator", n, "register", expected_version=seen)
    r = civic.client.post(
        f"/api/v1/cases/{n}/reject",
        json={"reason": "重复", "expected_version": seen},
        headers=civic.as_("supervisor"),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    assert (
        civic.client.get(f"/api/v1/cases/{n}", headers=civic.as_("operator")).json()["status"] == "registered"
    )


def test_idempotency_key_makes_a_retry_safe(civic: Civic) -> None:
    body = {"category_code": "C0101", "description": "井盖缺失", **INSIDE}
    key = {"Idempotency-Key": "abc-123"}
    first = civic.client.post("/api/v1/cases", json=body, headers=key)
    again = civic.client.post("/api/v1/cases", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["tracking_token"] == first.json()["tracking_token"]
    other = civic.client.post("/api/v1/cases", json=body | {"description": "另一件事"}, headers=key)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    listed = civic.client.get("/api/v1/cases", headers=civic.as_("leader")).json()
    assert listed["total"] == 1


def test_bad_input_gets_a_clear_4xx_in_the_callers_language(civic: Civic) -> None:
    c = civic.client
    r = c.post("/api/v1/cases", json={"category_code": "NOPE", "description": "x", **INSIDE})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_category"
    assert [f["field"] for f in r.json()["error"]["fields"]] == ["category_code"]
    r = c.post(
        "/api/v1/cases",
        json={"category_code": "C0101", "description": "x", "lon": 120.0, "lat": 30.0},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422 and "outside the district" in r.json()["error"]["message"]
    r = c.post("/api/v1/cases", json={"category_code": "C0101", "lon": "east", "lat": 35.4})
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["error"]["fields"]}
    assert {"description", "lon"} <= fields
    assert r.json()["error"]["message"] == "请求中有无效的字段。"
    r = c.post("/api/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = c.post("/api/v1/cases", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = c.post("/api/v1/cases", json={"category_code": "C0101", "description": "x", **INSIDE, "extra": 1})
    assert r.status_code == 422
    r = c.post(
        "/api/v1/cases", content=b"x" * (31 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    assert c.get("/api/v1/nothing-here").status_code == 404
    r = c.post("/api/v1/cases", json={"category_code": "H0401", "description": "拖欠工资", **INSIDE})
    assert r.status_code == 400 and r.json()["error"]["code"] == "contact_required"


def test_an_address_without_coordinates_is_located_by_area_name(civic: Civic) -> None:
    created = report(civic, lon=None, lat=None, address="高新区-2-1-2 路口")
    case = civic.client.get(f"/api/v1/cases/{created['number']}", headers=civic.as_("leader")).json()
    assert case["areas"]["grid"] == "D212"
    r = civic.client.post(
        "/api/v1/cases", json={"category_code": "C0101", "description": "x", "address": "火星"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "address_not_found"


def test_photos_are_uploaded_cleaned_and_attached(civic: Civic) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buf, "PNG")
    up = civic.client.post("/api/v1/photos", files=[("files", ("x.jpg", buf.getvalue(), "image/jpeg"))])
    assert up.status_code == 201, up.text
    name = up.json()[0]["name"]
    created = report(civic, photos=[name])
    case = civic.client.get(f"/api/v1/cases/{created['number']}", headers=civic.as_("operator")).json()
    assert case["photos"] == [name]
    img = civic.client.get(f"/api/v1/photos/{name}", headers=civic.as_("operator"))
    assert img.status_code == 200 and img.content[:2] == b"\xff\xd8"
    assert civic.client.get(f"/api/v1/photos/{name}").status_code == 401
    assert civic.client.get(f"/api/v1/track/{created['tracking_token']}/photos/{name}").status_code == 200
    bad = civic.client.post("/api/v1/photos", files=[("files", ("x.jpg", b"not an image", "image/jpeg"))])
    assert bad.status_code == 415
    r = civic.client.post(
        "/api/v1/cases",
        json={"category_code": "C0101", "description": "x", **INSIDE, "photos": ["ab/" + "0" * 64 + ".jpg"]},
    )
    assert r.status_code == 422


def test_lists_filter_by_status_area_and_overdue(civic: Civic) -> None:
    a = report(civic)["number"]
    report(civic, lon=116.6175, lat=35.4175)
    act(civic, "operator", a, "register")
    act(civic, "operator", a, "dispatch", org_code="chengguan", assignee_code="F0001")
    get = lambda **q: civic.client.get("/api/v1/cases", params=q, headers=civic.as_("leader")).json()  # noqa: E731
    assert get()["total"] == 2
    assert get(status="dispatched")["total"] == 1
    assert get(area="D2")["total"] == 1 and get(area="D1111")["total"] == 1
    assert get(overdue="true")["total"] == 0
    civic.clock.advance(days=30)
    assert [i["number"] for i in get(overdue="true")["items"]] == [a]
    assert get(q="井盖", page_size=1)["page_size"] == 1


def test_extension_needs_a_supervisor_and_moves_the_deadline(civic: Civic) -> None:
    n = report(civic)["number"]
    act(civic, "operator", n, "register")
    case = act(civic, "operator", n, "dispatch", org_code="chengguan", assignee_code="F0001")
    act(civic, "worker", n, "accept")
    from datetime import datetime

    new_due = (datetime.fromisoformat(case["due"]) + timedelta(days=5)).isoformat()
    asked = act(civic, "worker", n, "extend", new_due=new_due, reason="需采购配件")
    assert asked["pending"]["kind"] == "extension" and asked["due"] == case["due"]
    r = civic.client.post(f"/api/v1/cases/{n}/decide", json={"approve": True}, headers=civic.as_("operator"))
    assert r.status_code == 403
    done = act(civic, "supervisor", n, "decide", approve=True)
    assert datetime.fromisoformat(done["due"]) == datetime.fromisoformat(new_due) and done["pending"] is None


def test_answers_to_the_categorys_questions_are_checked_and_kept(civic: Civic) -> None:
    created = report(civic, attributes={"cover_type": "sewage", "condition": "missing", "made_up": "x"})
    case = civic.client.get(f"/api/v1/cases/{created['number']}", headers=civic.as_("operator")).json()
    assert case["attributes"] == {"cover_type": "sewage", "condition": "missing"}
    r = civic.client.post(
        "/api/v1/cases",
        json={"category_code": "C0101", "description": "x", **INSIDE, "attributes": {"cover_type": "gold"}},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "attribute_invalid"
