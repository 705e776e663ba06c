"""Nobody sees what is not theirs: every role against every case endpoint and a case it must not see."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from test_pages import sign_in

from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.roles import Role
from conftest import Civic

IN_D111 = {"lon": 116.6025, "lat": 35.4025}  # grid D111: worker F0001 ("worker")
IN_D212 = {"lon": 116.6175, "lat": 35.4175}  # grid D212: no test account serves it


def file(civic: Civic, where: dict[str, float]) -> dict[str, Any]:
    body = {
        "category_code": "C0101",
        "description": "井盖缺失",
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
        **where,
    }
    r = civic.client.post("/api/v1/cases", json=body)
    assert r.status_code == 201
    return r.json()


def dispatched_to(civic: Civic, where: dict[str, float], org: str, assignee: str | None) -> str:
    number = file(civic, where)["number"]
    h = civic.as_("operator")
    assert civic.client.post(f"/api/v1/cases/{number}/register", json={}, headers=h).status_code == 200
    r = civic.client.post(
        f"/api/v1/cases/{number}/dispatch", json={"org_code": org, "assignee_code": assignee}, headers=h
    )
    assert r.status_code == 200
    return number


# role -> may it read a case in grid D212 sent to 公安 (police) with no worker?
READ_FOREIGN = {
    "operator": True,  # the district desk (no areas set) serves everything
    "supervisor": True,
    "leader": True,
    "admin": False,
    "worker": False,  # serves D111 only
    "worker2": False,  # serves D211 only
    "handler": False,  # 城管, not 公安
    "handler2": True,  # 公安
    "resident": False,
}


@pytest.mark.parametrize(("role", "allowed"), READ_FOREIGN.items())
def test_reading_a_case_follows_role_area_and_department(civic: Civic, role: str, allowed: bool) -> None:
    number = dispatched_to(civic, IN_D212, "police", None)
    r = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_(role))
    if role == "resident":
        assert r.status_code == 403  # a resident reads through the tracking link, not the staff view
    else:
        assert r.status_code == (200 if allowed else 404), r.text
    listed = civic.client.get("/api/v1/cases", headers=civic.as_(role)).json()
    assert (number in [i["number"] for i in listed["items"]]) is allowed


def test_a_case_someone_may_not_see_answers_like_a_case_that_does_not_exist(civic: Civic) -> None:
    number = dispatched_to(civic, IN_D212, "police", None)
    hidden = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("worker"))
    missing = civic.client.get("/api/v1/cases/20991231999999", headers=civic.as_("worker"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    # Acting on it is refused the same way, for every action.
    for action, body in (
        ("accept", {}),
        ("register", {}),
        ("escalate", {"reason": "x"}),
        ("comment", {"note": "x"}),
    ):
        r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_("worker"))
        assert r.status_code == 404, (action, r.text)


def test_guessed_numbers_and_tracking_tokens_open_nothing(civic: Civic) -> None:
    created = file(civic, IN_D111)
    anonymous = civic.client.get(f"/api/v1/cases/{created['number']}")
    assert anonymous.status_code == 401
    assert civic.client.get("/api/v1/cases").json()["total"] == 0
    token = created["tracking_token"]
    other = token[:-1] + ("y" if token.endswith("x") else "x")  # one character off (a token may end in x)
    assert civic.client.get(f"/api/v1/track/{other}").status_code == 404
    assert civic.client.get(f"/api/v1/track/{created['number']}").status_code == 404
    assert civic.client.get(f"/api/v1/track/{token}").status_code == 200


@pytest.mark.parametrize(
    ("role", "sees_phone"),
    [("operator", True), ("supervisor", True), ("worker", True), ("leader", False), ("handler", True)],
)
def test_the_reporters_phone_is_masked_unless_the_role_needs_it(
    civic: Civic, role: str, sees_phone: bool
) -> None:
    number = dispatched_to(civic, IN_D111, "chengguan", "F0001")
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_(role)).json()
    expected = "13812341234" if sees_phone else "138****1234"
    assert case["reporter"]["phone"] == expected
    assert case["reporter"]["name"] == ("张三" if sees_phone else "张*")
    row = civic.client.get("/api/v1/cases", headers=civic.as_(role)).json()["items"][0]
    assert row["reporter_phone"] == expected


def test_only_the_assignee_acts_and_only_supervisors_decide(civic: Civic) -> None:
    number = dispatched_to(civic, IN_D111, "chengguan", "F0001")
    post = civic.client.post
    assert post(f"/api/v1/cases/{number}/accept", json={}, headers=civic.as_("leader")).status_code == 403
    assert post(f"/api/v1/cases/{number}/accept", json={}, headers=civic.as_("operator")).status_code == 403
    assert post(f"/api/v1/cases/{number}/accept", json={}, headers=civic.as_("worker")).status_code == 200
    r = post(f"/api/v1/cases/{number}/return", json={"reason": "非本网格"}, headers=civic.as_("worker"))
    assert r.status_code == 200
    assert (
        post(
            f"/api/v1/cases/{number}/decide", json={"approve": True}, headers=civic.as_("worker")
        ).status_code
        == 403
    )
    assert (
        post(
            f"/api/v1/cases/{number}/decide", json={"approve": True}, headers=civic.as_("supervisor")
        ).status_code
        == 200
    )


def test_a_revoked_or_made_up_token_is_refused(civic: Civic) -> None:
    r = civic.client.get("/api/v1/cases", headers={"Authorization": "Bearer made-up"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_security_headers_on_every_answer(civic: Civic) -> None:
    for path in ("/healthz", "/docs", "/api/v1/cases", "/nothing"):
        h = civic.client.get(path).headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert "script-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]


def _photo(civic: Civic, colour: str) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG")
    up = civic.client.post("/api/v1/photos", files=[("files", ("p.png", buf.getvalue(), "image/png"))])
    assert up.status_code == 201, up.text
    return str(up.json()[0]["name"])


# role -> may it fetch a photo of a case in grid D111 (street D1) held by 城管 and worker F0001?
PHOTO_READERS = {
    "operator": 200,  # the district desk
    "supervisor": 200,
    "leader": 200,
    "worker": 200,  # serves D111 and holds the case
    "handler": 200,  # 城管
    "admin": 404,  # configures the system, reads no case files
    "worker2": 404,  # a grid worker of another grid (D211)
    "handler2": 404,  # 公安
    "resident": 403,  # residents see their photos through the tracking link
    "desk_d1": 200,  # the desk of street D1
    "desk_d2": 404,  # the desk of another street
}


def test_a_photo_is_served_to_whoever_may_see_a_case_that_holds_it_and_to_no_one_else(civic: Civic) -> None:
    reported, commented = _photo(civic, "red"), _photo(civic, "blue")
    body = {"category_code": "C0101", "description": "井盖缺失", **IN_D111, "photos": [reported]}
    r = civic.client.post("/api/v1/cases", json=body)
    assert r.status_code == 201
    created = r.json()
    number = created["number"]
    h = civic.as_("operator")
    civic.client.post(f"/api/v1/cases/{number}/register", json={}, headers=h)
    civic.client.post(
        f"/api/v1/cases/{number}/dispatch",
        json={"org_code": "chengguan", "assignee_code": "F0001"},
        headers=h,
    )
    note = {"note": "现场照片", "photos": [commented]}
    assert civic.client.post(f"/api/v1/cases/{number}/comment", json=note, headers=h).status_code == 200
    for desk, street in (("desk_d1", "D1"), ("desk_d2", "D2")):
        civic.add_account(desk, UserSpec(desk, Role.OPERATOR, area_codes=frozenset({street})))
    for name in (reported, commented):
        for who, status in PHOTO_READERS.items():
            answer = civic.client.get(f"/api/v1/photos/{name}", headers=civic.as_(who))
            assert answer.status_code == status, (who, name, answer.text[:200])
            if status == 200:
                assert answer.content[:2] == b"\xff\xd8"
        assert civic.client.get(f"/api/v1/photos/{name}").status_code == 401
    # A photo no case holds yet (just uploaded) is nobody's to read through this door.
    loose = _photo(civic, "green")
    assert civic.client.get(f"/api/v1/photos/{loose}", headers=civic.as_("leader")).status_code == 404
    # The reporter's tracking link shows the report's photos; the case page links its own photos.
    token = created["tracking_token"]
    assert civic.client.get(f"/api/v1/track/{token}/photos/{reported}").status_code == 200
    assert civic.client.get(f"/api/v1/track/{token}/photos/{loose}").status_code == 404
    sign_in(civic, "worker")
    sheet = civic.client.get(f"/cases/{number}").text
    for name in (reported, commented):
        assert f"/cases/{number}/photos/{name}" in sheet
        assert civic.client.get(f"/cases/{number}/photos/{name}").status_code == 200
