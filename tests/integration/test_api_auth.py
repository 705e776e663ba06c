"""Signing in: tokens for machines, cookie sessions with CSRF for pages, throttling, audit."""

from __future__ import annotations

from conftest import PASSWORD, Civic


def test_a_token_from_username_and_password_works_and_a_wrong_password_does_not(civic: Civic) -> None:
    r = civic.client.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = civic.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "operator" and me["via"] == "token"
    bad = civic.client.post(
        "/api/v1/auth/token", json={"username": "operator", "password": "wrong password!"}
    )
    unknown = civic.client.post(
        "/api/v1/auth/token", json={"username": "nobody", "password": "wrong password!"}
    )
    assert bad.status_code == unknown.status_code == 401
    assert bad.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_failed_sign_ins_are_throttled(civic: Civic) -> None:
    for _ in range(5):
        r = civic.client.post(
            "/api/v1/auth/token", json={"username": "leader", "password": "not the password"}
        )
        assert r.status_code == 401
    r = civic.client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    civic.clock.advance(minutes=2)
    assert (
        civic.client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD}).status_code
        == 200
    )


def test_a_cookie_session_needs_the_csrf_token_for_writes(civic: Civic) -> None:
    r = civic.client.post("/api/v1/auth/session", json={"username": "operator", "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    csrf = r.json()["csrf_token"]
    created = civic.client.post(
        "/api/v1/cases",
        json={"category_code": "C0101", "description": "井盖缺失", "lon": 116.6025, "lat": 35.4025},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201
    number = created.json()["number"]
    forged = civic.client.post(f"/api/v1/cases/{number}/register", json={})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    wrong = civic.client.post(f"/api/v1/cases/{number}/register", json={}, headers={"X-CSRF-Token": "x" * 20})
    assert wrong.status_code == 403
    ok = civic.client.post(f"/api/v1/cases/{number}/register", json={}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert civic.client.get(f"/api/v1/cases/{number}").status_code == 200  # reads need no token
    out = civic.client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert civic.client.get(f"/api/v1/cases/{number}").status_code == 401


def test_sign_ins_and_case_writes_are_in_the_audit_log(civic: Civic) -> None:
    civic.client.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD})
    r = civic.client.post(
        "/api/v1/cases",
        json={"category_code": "C0101", "description": "井盖缺失", "lon": 116.6025, "lat": 35.4025},
    )
    number = r.json()["number"]
    civic.client.post(
        f"/api/v1/cases/{number}/register", json={"note": "立案"}, headers=civic.as_("operator")
    )
    with civic.app.reader() as u:
        actions = [e.action for e in u.accounts.audit_entries(limit=100)]
        register = u.accounts.audit_entries(action="case.register", limit=5)
    assert "sign_in" in actions and "case.submit" in actions and "case.register" in actions
    assert register[0].target == number and register[0].actor_name == "王受理"
