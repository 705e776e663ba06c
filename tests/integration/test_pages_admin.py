"""The administrator's pages: each edit changes the database and lands in the audit log; bad input is kept."""

from __future__ import annotations

import json
import re

import pytest
from test_api import act, report
from test_pages import sign_in

from civicgrid.adapters.db.tables import time_limits
from civicgrid.analytics.admin_queries import WorkerFilters, worker_page
from civicgrid.services import dispatch
from civicgrid.services.accounts import list_users
from civicgrid.services.api_keys import list_api_keys
from civicgrid.services.reference import categories, organisations
from conftest import Civic

ADMIN_PAGES = [
    "/admin",
    "/admin/map",
    "/admin/organisations",
    "/admin/organisations/chengguan",
    "/admin/workers",
    "/admin/workers/new",
    "/admin/workers/F0001",
    "/admin/categories",
    "/admin/categories/C0101",
    "/admin/routing",
    "/admin/users",
    "/admin/apikeys",
    "/admin/audit",
]


@pytest.fixture
def admin(civic: Civic) -> tuple[Civic, str]:
    return civic, sign_in(civic, "admin", "/admin")


def audit_actions(civic: Civic) -> list[str]:
    with civic.app.reader() as u:
        return [e.action for e in u.accounts.audit_entries(limit=200)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_admin_page_opens_for_an_administrator_in_both_languages(
    admin: tuple[Civic, str], lang: str
) -> None:
    civic, _ = admin
    for path in ADMIN_PAGES:
        page = civic.client.get(path, headers={"accept-language": lang})
        assert page.status_code == 200, (path, page.text[:300])
        assert f'lang="{"en" if lang == "en" else "zh-CN"}"' in page.text


def test_the_overview_counts_what_each_admin_page_lists(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    idle = {"csrf_token": csrf, "is_new": "true", "code": "F0100", "name": "闲置", "phone": "13812345678"}
    idle |= {"kind": "fulltime", "grid_codes": "D111"}  # no "active": an inactive worker, not counted
    assert civic.client.post("/admin/workers", data=idle, follow_redirects=False).status_code == 303
    for name in ("hotline", "open data"):
        assert civic.client.post("/admin/apikeys", data={"csrf_token": csrf, "name": name}).status_code == 201
    prefix = list_api_keys(uow=civic.app.reader)[0].prefix
    civic.client.post(f"/admin/apikeys/{prefix}/revoke", data={"csrf_token": csrf})  # revoked: not counted
    with civic.app.engine.connect() as conn:
        roster_total = worker_page(conn, WorkerFilters(), page=1, page_size=1).total
    page = civic.client.get("/admin", headers={"accept-language": "en"}).text
    shown = dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">(\d+)</div>', page))
    assert shown == {
        "Departments and utilities": str(len(organisations(uow=civic.app.reader))),
        "Grid workers": str(roster_total),
        "Categories": str(len(categories(uow=civic.app.reader))),
        "Accounts": str(len(list_users(uow=civic.app.reader))),
        "Active API keys": "1",
    }


def test_admin_pages_are_refused_to_other_roles_and_ask_strangers_to_sign_in(civic: Civic) -> None:
    away = civic.client.get("/admin/users", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=%2Fadmin%2Fusers")
    sign_in(civic, "supervisor", "/login")
    assert civic.client.get("/admin/users").status_code == 403


def test_a_bad_map_shows_every_problem_and_changes_nothing(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    imports = audit_actions(civic).count("map.import")
    exported = civic.client.get("/admin/map/export").json()
    feature = next(f for f in exported["features"] if f["properties"]["code"] == "D111")
    feature["properties"]["parent_code"] = "NOPE"
    exported["features"].append(dict(exported["features"][-1]))  # a code twice
    answer = civic.client.post(
        "/admin/map",
        data={"csrf_token": csrf, "mode": "import"},
        files={"file": ("map.geojson", json.dumps(exported).encode(), "application/geo+json")},
    )
    assert answer.status_code == 422
    assert "NOPE" in answer.text and "D111" in answer.text
    with civic.app.reader() as u:
        assert u.areas.counts()["grid"] == 4
    assert audit_actions(civic).count("map.import") == imports


def test_a_good_map_is_checked_then_imported(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    exported = civic.client.get("/admin/map/export").content
    imports = audit_actions(civic).count("map.import")
    checked = civic.client.post(
        "/admin/map",
        data={"csrf_token": csrf, "mode": "check"},
        files={"file": ("map.geojson", exported, "application/json")},
    )
    assert checked.status_code == 200 and audit_actions(civic).count("map.import") == imports
    imported = civic.client.post(
        "/admin/map",
        data={"csrf_token": csrf, "mode": "import"},
        files={"file": ("map.geojson", exported, "application/json")},
    )
    assert imported.status_code == 200 and audit_actions(civic).count("map.import") == imports + 1
    broken = civic.client.post(
        "/admin/map",
        data={"csrf_token": csrf, "mode": "import"},
        files={"file": ("map.geojson", b"{not json", "application/json")},
    )
    assert broken.status_code == 422 and 'role="alert"' in broken.text


def test_the_map_form_needs_the_csrf_token(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    answer = civic.client.post("/admin/map", data={"mode": "check"}, files={"file": ("m.json", b"{}")})
    assert answer.status_code == 403


def test_an_organisation_is_renamed_and_the_change_is_audited(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    form = {
        "csrf_token": csrf,
        "name_zh": "城市管理综合执法局",
        "short_name_zh": "城管局",
        "name_en": "Urban Management Bureau",
        "short_name_en": "Urban management",
        "active": "true",
    }
    done = civic.client.post("/admin/organisations/chengguan", data=form, follow_redirects=False)
    assert done.status_code == 303
    with civic.app.reader() as u:
        assert u.reference.organisation_row("chengguan")["short_name_zh"] == "城管局"  # type: ignore[index]
    assert "organisation.update" in audit_actions(civic)
    # The audit log shows the change's detail as text people read, Chinese and all (not \\u escapes).
    log = civic.client.get("/admin/audit").text
    named = '修改单位 <code class="muted small">organisation.update</code>'
    detail = log.split(named, 1)[1].split("</tr>", 1)[0]
    assert "城管局" in detail and "\\u" not in detail
    empty = civic.client.post("/admin/organisations/chengguan", data=form | {"name_zh": "  "})
    assert empty.status_code == 422 and "城管局" in empty.text


def test_a_grid_worker_is_added_edited_and_bad_input_is_kept(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    form = {
        "csrf_token": csrf,
        "is_new": "true",
        "code": "F0100",
        "name": "<script>alert(1)</script>",
        "phone": "13812345678",
        "kind": "fulltime",
        "org_code": "",
        "grid_codes": "D111, D112",
        "active": "true",
    }
    done = civic.client.post("/admin/workers", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    with civic.app.reader() as u:
        row = u.reference.worker_row("F0100")
    assert row is not None and row["grid_codes"] == ["D111", "D112"]
    listing = civic.client.get("/admin/workers?q=F0100")
    assert "<script>alert(1)</script>" not in listing.text and "&lt;script&gt;" in listing.text
    assert "138****5678" in listing.text  # the roster shows masked phones
    bad = civic.client.post("/admin/workers", data=form | {"phone": "call me", "grid_codes": "D111"})
    assert bad.status_code == 422 and 'value="call me"' in bad.text
    unknown = civic.client.post("/admin/workers", data=form | {"grid_codes": "D111 ZZZ9"})
    assert unknown.status_code == 422 and "ZZZ9" in unknown.text
    professional = civic.client.post("/admin/workers", data=form | {"kind": "professional"})
    assert professional.status_code == 422
    assert {"worker.create"} <= set(audit_actions(civic))


def test_a_worker_with_open_cases_cannot_be_deactivated(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    number = report(civic, "operator")["number"]
    act(civic, "operator", number, "register")
    act(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="F0001")
    form = {
        "csrf_token": csrf,
        "code": "F0001",
        "name": "网格员1",
        "phone": "13800000000",
        "kind": "fulltime",
        "grid_codes": "D111",
    }  # no "active": the box is unticked
    refused = civic.client.post("/admin/workers", data=form)
    assert refused.status_code == 409 and 'role="alert"' in refused.text


def test_a_categorys_time_limits_are_edited_and_a_bad_one_is_refused(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    form = {
        "csrf_token": csrf,
        "department": "chengguan",
        "limit_normal": "5d working",
        "limit_urgent": "24h natural",
        "limit_emergency": "2h natural",
        "anonymous_allowed": "true",
        "active": "true",
    }
    done = civic.client.post("/admin/categories/C0101", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    with civic.app.engine.connect() as conn:
        stored = dict(
            conn.execute(
                time_limits.select()
                .with_only_columns(time_limits.c.urgency, time_limits.c.limit)
                .where(time_limits.c.category_code == "C0101")
            ).all()
        )
    assert stored["normal"] == "5d working"
    bad = civic.client.post("/admin/categories/C0101", data=form | {"limit_normal": "soon"})
    assert bad.status_code == 422 and 'value="soon"' in bad.text
    assert "category.update" in audit_actions(civic)


def test_accounts_are_created_given_a_password_and_deactivated(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    form = {
        "csrf_token": csrf,
        "username": "newdesk",
        "display_name": "新受理员",
        "role": "operator",
        "password": "a long enough password",
    }
    assert civic.client.post("/admin/users", data=form, follow_redirects=False).status_code == 303
    weak = civic.client.post("/admin/users", data=form | {"username": "other", "password": "short"})
    assert weak.status_code in (400, 422) and 'value="other"' in weak.text
    # Areas the map does not have are named and refused, the form kept; so is an overlong user name.
    nowhere = civic.client.post("/admin/users", data=form | {"username": "other", "areas": "NOTACODE 123"})
    assert nowhere.status_code == 422 and "地图中没有编码为 123, NOTACODE 的区域" in nowhere.text
    assert 'value="NOTACODE 123"' in nowhere.text
    long_name = civic.client.post("/admin/users", data=form | {"username": "x" * 40})
    assert long_name.status_code == 422 and 'value="' + "x" * 40 + '"' in long_name.text
    assert "username:" not in long_name.text
    assert all(u.username != "other" for u in list_users(uow=civic.app.reader))
    assert (
        civic.client.post(
            "/admin/users/newdesk/password",
            data={"csrf_token": csrf, "password": "another long password"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        civic.client.post(
            "/admin/users/newdesk/deactivate", data={"csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    user = next(u for u in list_users(uow=civic.app.reader) if u.username == "newdesk")
    assert not user.active
    assert {"user.create", "user.password", "user.deactivate"} <= set(audit_actions(civic))


def test_an_api_key_is_shown_once_and_can_be_revoked(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    created = civic.client.post("/admin/apikeys", data={"csrf_token": csrf, "name": "12345 hotline"})
    assert created.status_code == 201 and "cgk_" in created.text
    key = created.text.split('id="new-key" class="mono" value="')[1].split('"')[0]
    assert key.startswith("cgk_") and key not in civic.client.get("/admin/apikeys").text
    # The same form sent again (a reload) hands out no second key, and says why in the page's language.
    again = civic.client.post("/admin/apikeys", data={"csrf_token": csrf, "name": "12345 hotline"})
    assert again.status_code == 409 and "已有名为 12345 hotline 的有效密钥" in again.text
    assert 'id="new-key"' not in again.text and len(list_api_keys(uow=civic.app.reader)) == 1
    prefix = list_api_keys(uow=civic.app.reader)[0].prefix
    revoked = civic.client.post(
        f"/admin/apikeys/{prefix}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert not list_api_keys(uow=civic.app.reader)[0].active


def test_the_audit_log_filters_by_action(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    page = civic.client.get("/admin/audit", params={"action": "user.create"})
    rows = page.text.split("<tbody>")[1]
    assert page.status_code == 200 and "user.create" in rows and "sign_in" not in rows
    # Named in the reader's language, the code beside; the filter's choices are named too.
    assert "创建账号" in rows and '<option value="sign_in">登录</option>' in page.text
    # Its detail in words: keys named, nothing empty shown as null.
    assert "角色：受理员" in rows and "null" not in rows and "worker_code" not in rows
    english = civic.client.get("/admin/audit", params={"action": "user.create", "lang": "en"})
    assert "Account created" in english.text.split("<tbody>")[1]


def test_the_audit_search_takes_empty_date_fields_and_refuses_unreadable_ones(
    admin: tuple[Civic, str],
) -> None:
    civic, _ = admin
    page = civic.client.get("/admin/audit", params={"actor": "", "action": "sign_in", "from": "", "to": ""})
    assert page.status_code == 200 and "sign_in" in page.text
    refused = civic.client.get("/admin/audit", params={"from": "yesterday", "action": "sign_in"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    # Said above the log, whose form keeps what was typed.
    assert 'value="yesterday"' in refused.text and '<option value="sign_in" selected' in refused.text


def test_the_audit_export_takes_what_the_audit_search_sent(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    searched = {"actor": "", "action": "sign_in", "from": "", "to": ""}  # the form, dates left empty
    page = civic.client.get("/admin/audit", params=searched)
    link = re.search(r'href="(/exports/audit\.csv\?[^"]*)"', page.text)
    assert link and "from=&amp;to=" in link.group(1)
    exported = civic.client.get(link.group(1).replace("&amp;", "&"))
    assert exported.status_code == 200, exported.text[:300]
    lines = exported.content.decode("utf-8-sig").strip().splitlines()[1:]
    assert lines and all("sign_in" in line for line in lines)
    assert all(",登录,sign_in," in line for line in lines)  # named, the code beside
    bounded = civic.client.get("/exports/audit.csv", params={**searched, "from": "2026-11-02T09:00"})
    assert bounded.status_code == 200 and bounded.content.decode("utf-8-sig").count("\n") == len(lines) + 1
    refused = civic.client.get("/exports/audit.csv", params={**searched, "to": "yesterday"})
    assert refused.status_code == 422 and "不是有效的日期或时间" in refused.text


def test_the_roster_export_takes_the_roster_forms_any_and_inactive(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    answer = civic.client.get(
        "/exports/workers.csv", params={"q": "", "org": "", "kind": "", "inactive": "true"}
    )
    assert answer.status_code == 200 and answer.content.decode("utf-8-sig").count("\n") == 6


def test_the_category_list_says_time_limits_in_words(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    listed = civic.client.get("/admin/categories").text
    assert "个工作日" in listed and "小时" in listed
    assert "working" not in listed and "natural" not in listed  # not as stored ("7d working")


def test_the_account_list_names_a_handlers_department(admin: tuple[Civic, str]) -> None:
    civic, _ = admin
    listed = civic.client.get("/admin/users").text
    handler = listed.split(">handler<", 1)[1].split("</tr>", 1)[0]
    assert "城管" in handler and "chengguan" not in handler


def test_a_routing_rule_is_added_listed_by_name_refused_twice_and_removed(admin: tuple[Civic, str]) -> None:
    civic, csrf = admin
    rule = {"csrf_token": csrf, "category_code": "C0101", "area_code": "D1", "org_code": "housing"}
    form = civic.client.get("/admin/routing").text
    assert 'option value="D1"' in form and 'option value="housing"' in form  # the choices are offered
    assert civic.client.post("/admin/routing", data=rule, follow_redirects=False).status_code == 303
    [stored] = dispatch.list_rules(uow=civic.app.reader)
    assert (stored.category_code, stored.area_code, stored.org_code) == ("C0101", "D1", "housing")
    listed = civic.client.get("/admin/routing").text.split('id="rules"', 1)[1].split("</table>", 1)[0]
    assert "住建" in listed and "高新区-1" in listed and f"/admin/routing/{stored.id}/remove" in listed
    # The same category in the same area again, and an area the map lacks: said, the form kept.
    twice = civic.client.post("/admin/routing", data=rule)
    assert twice.status_code == 400 and "已有" in twice.text and 'role="alert"' in twice.text
    nowhere = civic.client.post("/admin/routing", data=rule | {"area_code": "NOWHERE"})
    assert nowhere.status_code == 404 and "NOWHERE" in nowhere.text and 'value="NOWHERE"' in nowhere.text
    assert len(dispatch.list_rules(uow=civic.app.reader)) == 1
    removed = civic.client.post(
        f"/admin/routing/{stored.id}/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303 and dispatch.list_rules(uow=civic.app.reader) == []
    assert {"dispatch.rule_add", "dispatch.rule_remove"} <= set(audit_actions(civic))
