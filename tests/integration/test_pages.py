"""The pages' frame: sign-in, language, error pages, redirects (each desk's pages have their own tests)."""

from __future__ import annotations

import re

from conftest import PASSWORD, Civic


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert found
    return found.group(1)


def sign_in(civic: Civic, username: str, next_path: str = "") -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    answer = civic.client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": next_path}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    page = civic.client.get(answer.headers["location"])
    return csrf_of(page.text)


def test_the_front_door_sends_residents_to_the_report_page(civic: Civic) -> None:
    front = civic.client.get("/", follow_redirects=False)
    assert front.status_code == 303 and front.headers["location"] == "/report"


def test_every_page_names_its_icon_and_favicon_ico_leads_there(civic: Civic) -> None:
    assert '<link rel="icon" href="/static/web/icon.svg' in civic.client.get("/login").text
    moved = civic.client.get("/favicon.ico", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/static/web/icon.svg"
    icon = civic.client.get("/static/web/icon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_the_sign_in_page_is_in_chinese_by_default_and_english_on_request(civic: Civic) -> None:
    zh = civic.client.get("/login")
    assert zh.status_code == 200 and 'lang="zh-CN"' in zh.text and "工作人员登录" in zh.text
    en = civic.client.get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="en"' in en.text and "Staff sign-in" in en.text


def test_the_language_switch_is_remembered_and_only_returns_to_this_site(civic: Civic) -> None:
    switched = civic.client.get("/lang?to=en&next=/login", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert "Staff sign-in" in civic.client.get("/login").text
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        away = civic.client.get("/lang", params={"to": "zh_CN", "next": evil}, follow_redirects=False)
        assert away.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_the_reason(civic: Civic) -> None:
    answer = civic.client.post("/login", data={"username": "operator", "password": "nope"})
    assert answer.status_code == 401
    assert 'role="alert"' in answer.text and 'value="operator"' in answer.text


def test_signing_in_goes_to_the_page_asked_for_or_the_roles_first_page(civic: Civic) -> None:
    answer = civic.client.post(
        "/login", data={"username": "operator", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/intake"
    assert "cg_session" in answer.headers["set-cookie"] and "httponly" in answer.headers["set-cookie"].lower()
    civic.client.cookies.clear()
    answer = civic.client.post(
        "/login",
        data={"username": "leader", "password": PASSWORD, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/command"


def test_signing_out_needs_the_sessions_csrf_token(civic: Civic) -> None:
    token = sign_in(civic, "supervisor", "/login")
    refused = civic.client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "<html" in refused.text
    done = civic.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert "您已退出登录" in civic.client.get("/login").text  # the flash message, once
    assert "您已退出登录" not in civic.client.get("/login").text


def test_unknown_pages_answer_an_html_404_and_the_api_keeps_json(civic: Civic) -> None:
    page = civic.client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<main" in page.text
    api = civic.client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_pages_carry_the_security_headers_and_no_inline_script(civic: Civic) -> None:
    page = civic.client.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page.text) is None


def test_shared_static_files_are_served_from_packages(civic: Civic) -> None:
    for path in (
        "/static/web/app.css",
        "/static/web/app.js",
        "/static/web/map.js",
        "/static/leaflet/leaflet.js",
    ):
        assert civic.client.get(path).status_code == 200, path


def test_a_nul_character_in_any_page_form_is_a_clear_422(civic: Civic) -> None:
    """PostgreSQL cannot store text with NUL: every page form refuses it before any handler runs."""
    anonymous = civic.client.post("/report", data={"description": "井盖\x00缺失", "category_code": "C0101"})
    assert anonymous.status_code == 422 and "NUL" in anonymous.text
    token = sign_in(civic, "admin", "/admin")
    staff = civic.client.post("/admin/apikeys", data={"csrf_token": token, "name": "bad\x00name"})
    assert staff.status_code == 422
    multipart = civic.client.post(
        "/admin/map", data={"csrf_token": token, "mode": "check\x00"}, files={"file": ("m.json", b"{}")}
    )
    assert multipart.status_code == 422
