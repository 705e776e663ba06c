"""The work queues: hotline desk, grid worker's phone, department queue, shift supervisor (issue 4)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from test_api import act, report
from test_pages import sign_in

from civicgrid.domain.escalation import ESCALATION_REASON
from civicgrid.services.sweep import sweep
from conftest import Civic

PAGES = {
    "/desk/intake": {"operator", "supervisor"},
    "/desk/queue": {"operator", "supervisor"},
    "/field/tasks": {"worker"},
    "/field/patrol": {"worker"},
    "/field/grid": {"worker"},
    "/dept/queue": {"handler"},
    "/supervisor": {"supervisor"},
    "/supervisor/overdue": {"supervisor"},
    "/supervisor/escalations": {"supervisor"},
}
ROLES = ("operator", "supervisor", "worker", "handler", "leader", "admin", "resident")
HOSTILE = "<script>alert(1)</script>"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert found
    return found.group(1)


def page(civic: Civic, path: str, **kw: Any) -> str:
    answer = civic.client.get(path, **kw)
    assert answer.status_code == 200, answer.text
    return answer.text


def version_of(civic: Civic, number: str) -> int:
    return int(civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()["version"])


def dispatched(civic: Civic, org: str = "chengguan", assignee: str | None = "F0001", **extra: Any) -> str:
    number = report(civic, **extra)["number"]
    act(civic, "operator", number, "register")
    act(civic, "operator", number, "dispatch", org_code=org, assignee_code=assignee)
    return str(number)


def phone_call(**extra: str) -> dict[str, str]:
    return {
        "reporter_name": "陈来电",
        "reporter_phone": "13912345678",
        "category": "E0101 暴露垃圾",
        "urgency": "",
        "description": "小区门口垃圾三天没人清运",
        "address": "东苑小区北门",
        "microgrid": "D1112",
        "call_key": "k-1",
    } | extra


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(civic: Civic, path: str) -> None:
    answer = civic.client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_for_its_roles_and_refuses_the_others(civic: Civic, role: str) -> None:
    sign_in(civic, role, "/login")
    for path, allowed in PAGES.items():
        answer = civic.client.get(path)
        if role in allowed:
            assert answer.status_code == 200, (role, path, answer.text[:300])
            assert "<h1" in answer.text
        else:
            assert answer.status_code == 403, (role, path)


# --------------------------------------------------------------------------- phone intake


def test_phone_intake_files_a_hotline_case_with_the_callers_data(civic: Civic) -> None:
    token = sign_in(civic, "operator", "/desk/intake")
    form = page(civic, "/desk/intake")
    assert 'list="category-options"' in form and "E0101 暴露垃圾" in form and "autofocus" in form
    answer = civic.client.post("/desk/intake", data=phone_call(csrf_token=token), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    number = answer.headers["location"].split("filed=")[1]
    done = page(civic, answer.headers["location"])
    assert f'href="/cases/{number}"' in done and 'id="dispatch-now"' in done
    assert 'value="陈来电"' not in done  # the form is clear for the next call
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["source"] == "hotline" and case["category_code"] == "E0101"
    assert case["areas"]["microgrid"] == "D1112" and case["address"] == "东苑小区北门"
    assert case["reporter"]["name"] == "陈来电" and case["reporter"]["phone"] == "13912345678"
    # The same form sent twice (a double click) files one case.
    again = civic.client.post("/desk/intake", data=phone_call(csrf_token=token), follow_redirects=False)
    assert again.headers["location"] == answer.headers["location"]


def test_the_callers_phone_is_masked_for_a_grid_worker_who_does_not_hold_the_case(civic: Civic) -> None:
    token = sign_in(civic, "operator", "/desk/intake")
    answer = civic.client.post("/desk/intake", data=phone_call(csrf_token=token), follow_redirects=False)
    number = answer.headers["location"].split("filed=")[1]
    assert "13912345678" in page(civic, "/desk/queue")
    act(civic, "operator", number, "register")
    act(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="P0001")
    civic.client.cookies.clear()
    sign_in(civic, "worker", "/login")  # F0001 serves grid D111: sees the case, does not hold it
    tasks = page(civic, "/field/tasks")
    assert number in tasks and "13912345678" not in tasks and "139****5678" in tasks
    assert "城管队员" in tasks  # who holds it


def test_a_map_point_or_an_address_alone_locates_the_call(civic: Civic) -> None:
    token = sign_in(civic, "operator", "/desk/intake")
    point = phone_call(csrf_token=token, microgrid="", lon="116.6175", lat="35.4175", call_key="k-2")
    answer = civic.client.post("/desk/intake", data=point, follow_redirects=False)
    number = answer.headers["location"].split("filed=")[1]
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["areas"]["grid"] == "D212"
    named = phone_call(csrf_token=token, microgrid="", address="高新区-2-1-1 路口", call_key="k-3")
    answer = civic.client.post("/desk/intake", data=named, follow_redirects=False)
    number = answer.headers["location"].split("filed=")[1]
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["areas"]["grid"] == "D211"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"category": "no such thing at all"}, "category", 400),
        ({"microgrid": "Z999"}, "microgrid", 400),
        ({"microgrid": "", "address": ""}, "address", 400),
        ({"reporter_phone": ""}, "reporter_phone", 400),
        ({"lon": "116.9", "lat": "35.9", "microgrid": ""}, "address", 422),
        ({"urgency": "whenever"}, "urgency", 400),
    ],
)
def test_a_refused_call_comes_back_with_what_was_typed(
    civic: Civic, change: dict[str, str], field: str, status: int
) -> None:
    token = sign_in(civic, "operator", "/desk/intake")
    data = phone_call(csrf_token=token, description=f"门口 {HOSTILE}", reporter_name=HOSTILE) | change
    answer = civic.client.post("/desk/intake", data=data)
    assert answer.status_code == status, answer.text
    assert 'role="alert"' in answer.text and "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text  # name and description kept, escaped
    assert f'id="f-{field}"' in answer.text and ('class="field invalid"' in answer.text or field == "urgency")
    assert civic.client.get("/api/v1/cases", headers=civic.as_("operator")).json()["total"] == 0


def test_refusals_are_in_the_readers_language(civic: Civic) -> None:
    token = sign_in(civic, "operator", "/desk/intake")
    zh = civic.client.post("/desk/intake", data=phone_call(csrf_token=token, category=""))
    assert "从列表中选择分类" in zh.text
    civic.client.get("/lang?to=en&next=/login")
    en = civic.client.post("/desk/intake", data=phone_call(csrf_token=token, category=""))
    assert "Choose a category from the list" in en.text and "Phone intake" in en.text


def test_micro_grids_are_found_by_code_or_name(civic: Civic) -> None:
    by_code = civic.client.get("/api/v1/areas/search", params={"q": "d111"}).json()
    assert [h["code"] for h in by_code] == ["D1111", "D1112"]
    assert by_code[0]["parents"] == ["高新区-1-1-1", "高新区-1-1", "高新区-1"]
    assert 116.60 <= by_code[0]["lon"] <= 116.605 and by_code[0]["label"].endswith("(D1111)")
    by_name = civic.client.get("/api/v1/areas/search", params={"q": "高新区-2-1-2"}).json()
    assert {h["code"] for h in by_name} == {"D2121", "D2122"}
    grids = civic.client.get("/api/v1/areas/search", params={"q": "D2", "level": "grid"}).json()
    assert [h["code"] for h in grids] == ["D211", "D212"]
    assert civic.client.get("/api/v1/areas/search", params={"q": "%"}).json() == []
    assert civic.client.get("/api/v1/areas/search", params={"q": ""}).status_code == 422


# --------------------------------------------------------------------------- the desk queue


def test_the_desk_queue_lists_reports_to_register_oldest_first_and_registers_in_place(civic: Civic) -> None:
    first = report(civic)["number"]
    civic.clock.advance(minutes=5)
    second = report(civic, category_code="E0101", description=HOSTILE)["number"]
    token = sign_in(civic, "operator", "/desk/queue")
    queue = page(civic, "/desk/queue")
    assert queue.index(first) < queue.index(second) and "(2)" in queue
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue
    assert "/exports/cases.csv?status=submitted&amp;status=registered" in queue
    only = page(civic, "/desk/queue", params={"category": "E0101"})
    assert second in only and first not in only
    answer = civic.client.post(
        f"/desk/queue/{first}/register?category=C0101",
        data={"csrf_token": token, "version": version_of(civic, first)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/queue?category=C0101"
    case = civic.client.get(f"/api/v1/cases/{first}", headers=civic.as_("operator")).json()
    assert case["status"] == "registered"
    stale = civic.client.post(f"/desk/queue/{second}/register", data={"csrf_token": token, "version": 99})
    assert stale.status_code == 409 and 'role="alert"' in stale.text and second in stale.text


def test_the_desk_queue_names_the_category_the_places_and_the_time_limit(civic: Civic) -> None:
    report(civic)
    sign_in(civic, "operator", "/desk/queue")
    row = page(civic, "/desk/queue").split("<tbody>")[1]
    assert "<td>井盖</td>" in row and "C0101" not in row
    assert "高新区-1-1-1-1 · 高新区-1-1" in row and "高新区-1 · 高新区-1-1" in row
    assert '<span class="badge grey">24 小时</span>' in row
    assert ">打开</a>" in row and "未办结" not in row  # the link opens the case; it is no status


def test_the_queue_says_what_to_do_when_it_is_empty(civic: Civic) -> None:
    sign_in(civic, "operator", "/desk/queue")
    assert "没有待办" in page(civic, "/desk/queue")
    civic.client.get("/lang?to=en&next=/login")
    empty = page(civic, "/desk/queue")
    assert "Nothing waiting" in empty and "(0)" in empty


# --------------------------------------------------------------------------- grid worker


def test_my_tasks_accept_and_start_in_place_and_another_workers_grid_is_not_shown(civic: Civic) -> None:
    mine = dispatched(civic)
    elsewhere = dispatched(civic, assignee="F0003", lon=116.6125, lat=35.4125)  # grid D211
    token = sign_in(civic, "worker", "/field/tasks")
    tasks = page(civic, "/field/tasks")
    assert mine in tasks and elsewhere not in tasks
    assert f'action="/field/tasks/{mine}/accept"' in tasks
    assert "13812341234" in tasks  # the assignee may call the reporter back
    r = civic.client.post(
        f"/field/tasks/{mine}/accept", data={"csrf_token": token, "version": version_of(civic, mine)}
    )
    assert r.status_code == 200 and f'action="/field/tasks/{mine}/start"' in r.text
    r = civic.client.post(
        f"/field/tasks/{mine}/start", data={"csrf_token": token, "version": version_of(civic, mine)}
    )
    assert civic.client.get(f"/api/v1/cases/{mine}", headers=civic.as_("operator")).json()["status"] == (
        "in_progress"
    )
    refused = civic.client.post(f"/field/tasks/{elsewhere}/accept", data={"csrf_token": token})
    assert refused.status_code == 404 and 'role="alert"' in refused.text


def test_my_grid_shows_my_open_cases_as_points(civic: Civic) -> None:
    mine = dispatched(civic)
    sign_in(civic, "worker", "/field/grid")
    grid = page(civic, "/field/grid")
    assert 'data-focus="D111"' in grid and mine in grid
    data = re.search(r'<script type="application/json" id="grid-cases">(.*?)</script>', grid, re.S)
    assert data and mine in data.group(1) and '"lon": 116.6025' in data.group(1)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def test_a_patrol_report_is_filed_in_three_taps_located_by_gps(civic: Civic) -> None:
    token = sign_in(civic, "worker", "/field/patrol")
    form = page(civic, "/field/patrol")
    assert 'id="use-location"' in form and form.count('class="tile"') == 6
    answer = civic.client.post(
        "/field/patrol",
        data={"csrf_token": token, "category": "E0101", "lon": "116.6075", "lat": "35.4025", "note": ""},
        files={"photo": ("p.jpg", _photo(), "image/jpeg")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    number = answer.headers["location"].split("filed=")[1]
    assert number in page(civic, answer.headers["location"])
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["source"] == "patrol" and case["category_code"] == "E0101"
    assert case["areas"]["microgrid"] == "D1121" and len(case["photos"]) == 1
    assert case["reporter"]["name"] == "网格员1" and case["history"][0]["actor_name"] == "张网格"
    # What patrols file most comes first next time.
    civic.client.post(
        "/field/patrol",
        data={"csrf_token": token, "category_search": "H0301 噪声扰民", "lon": "116.6025", "lat": "35.4025"},
    )
    tiles = re.findall(r'name="category" value="(\w+)"', page(civic, "/field/patrol"))
    assert tiles[:2] == ["E0101", "H0301"] or tiles[:2] == ["H0301", "E0101"]


def test_a_patrol_without_a_place_or_category_is_refused_keeping_the_note(civic: Civic) -> None:
    token = sign_in(civic, "worker", "/field/patrol")
    r = civic.client.post("/field/patrol", data={"csrf_token": token, "category": "E0101", "note": HOSTILE})
    assert r.status_code == 400 and 'role="alert"' in r.text and "&lt;script&gt;" in r.text
    r = civic.client.post("/field/patrol", data={"csrf_token": token, "lon": "116.6025", "lat": "35.4025"})
    assert r.status_code == 400 and "位置已取得" in r.text  # the GPS point is kept
    assert civic.client.get("/api/v1/cases", headers=civic.as_("operator")).json()["total"] == 0


# --------------------------------------------------------------------------- department


def test_the_department_queue_shows_its_own_cases_by_group_and_accepts_in_place(civic: Civic) -> None:
    ours = dispatched(civic, assignee=None)
    police = dispatched(civic, org="police", assignee=None)
    token = sign_in(civic, "handler", "/dept/queue")
    queue = page(civic, "/dept/queue")
    assert ours in queue and police not in queue and f"/dept/queue/{ours}/accept" in queue
    assert "13812341234" in queue  # the responsible department sees the contact
    r = civic.client.post(
        f"/dept/queue/{ours}/accept",
        data={"csrf_token": token, "version": version_of(civic, ours)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert ours in page(civic, "/dept/queue", params={"group": "in_progress"})
    assert ours not in page(civic, "/dept/queue")
    civic.clock.advance(days=30)
    sign_in(civic, "handler", "/login")  # the session lapsed meanwhile
    assert ours in page(civic, "/dept/queue", params={"group": "overdue"})


# --------------------------------------------------------------------------- supervisor


def _extension_asked(civic: Civic) -> tuple[str, str]:
    number = dispatched(civic)
    act(civic, "worker", number, "accept")
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    new_due = (civic.clock() + timedelta(days=30)).isoformat()
    act(civic, "worker", number, "extend", new_due=new_due, reason=f"等待配件 {HOSTILE}")
    return number, case["due"]


def test_the_supervisor_denies_with_a_reason_and_approves_in_place(civic: Civic) -> None:
    number, old_due = _extension_asked(civic)
    token = sign_in(civic, "supervisor", "/supervisor")
    approvals = page(civic, "/supervisor")
    assert number in approvals and "等待配件 &lt;script&gt;" in approvals
    no_reason = civic.client.post(
        f"/supervisor/{number}/decide", data={"csrf_token": token, "decision": "deny", "note": " "}
    )
    assert no_reason.status_code == 400 and 'id="err-' in no_reason.text
    assert civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()["pending"]
    denied = civic.client.post(
        f"/supervisor/{number}/decide",
        data={"csrf_token": token, "decision": "deny", "note": "配件本周可到"},
        follow_redirects=False,
    )
    assert denied.status_code == 303
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["pending"] is None and case["due"] == old_due
    assert case["history"][-1]["action"] == "deny_extension" and case["history"][-1]["note"] == "配件本周可到"
    act(
        civic,
        "worker",
        number,
        "extend",
        new_due=(civic.clock() + timedelta(days=20)).isoformat(),
        reason="再等",
    )
    civic.client.post(
        f"/supervisor/{number}/decide",
        data={"csrf_token": token, "decision": "approve", "note": "", "version": version_of(civic, number)},
    )
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator")).json()
    assert case["history"][-1]["action"] == "approve_extension" and case["due"] > old_due
    assert number not in page(civic, "/supervisor")


def test_the_overdue_board_shows_red_cases_by_street_with_who_holds_them(civic: Civic) -> None:
    late = dispatched(civic)
    sign_in(civic, "supervisor", "/supervisor/overdue")
    assert late not in page(civic, "/supervisor/overdue")
    civic.clock.advance(days=30)
    sign_in(civic, "supervisor", "/login")  # the session lapsed meanwhile
    board = page(civic, "/supervisor/overdue")
    assert late in board and "高新区-1" in board and "网格员1" in board
    assert late in page(civic, "/supervisor/overdue", params={"level": "red", "area": "D1"})
    assert late not in page(civic, "/supervisor/overdue", params={"area": "D2"})


def _numbers(text: str) -> set[str]:
    return set(_in_order(text))


def _in_order(text: str) -> list[str]:
    """The case numbers in ``text``, each once, where it first appears."""
    return list(dict.fromkeys(re.findall(r"\b20\d{12}\b", text)))


def _xlsx_numbers(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return _in_order("\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row))


def test_the_overdue_boards_export_lists_the_cases_the_board_shows_in_its_order(civic: Civic) -> None:
    late = dispatched(civic)  # Monday 09:00, 24 hours to deal with it
    late_elsewhere = dispatched(civic, assignee="F0003", lon=116.6125, lat=35.4125)  # street D2
    for number in (late, late_elsewhere):
        act(civic, "worker" if number == late else "worker2", number, "accept")
    civic.clock.advance(hours=6)
    near = dispatched(civic)
    act(civic, "worker", near, "accept")
    civic.clock.advance(hours=18)  # Tuesday 09:00
    unsigned = dispatched(civic)  # not signed for within its acceptance limit: red before its deadline
    civic.clock.advance(hours=4)  # Tuesday 13:00: near is 22 h into its 24, late is past its deadline
    fresh = dispatched(civic)
    act(civic, "worker", fresh, "accept")
    waiting = report(civic)["number"]  # not dispatched: never on the board
    sweep(
        uow=civic.app.uow,
        reader=civic.app.reader,
        deadlines=civic.app.deadlines,
        now=civic.clock(),
        yellow_at=0.8,
    )
    sign_in(civic, "supervisor", "/login")
    # By street (D1 before D2), red before yellow, then the earliest deadline: late's (Tuesday 09:00)
    # before unsigned's; near is yellow.
    expected = {
        ("", ""): [late, unsigned, near, late_elsewhere],
        ("red", ""): [late, unsigned, late_elsewhere],
        ("yellow", ""): [near],
        ("", "D1"): [late, unsigned, near],
        ("red", "D2"): [late_elsewhere],
    }
    for (level, area), cases in expected.items():
        board = page(civic, "/supervisor/overdue", params={"level": level, "area": area})
        assert _in_order(board.split("<tbody>")[1]) == cases, (level, area)
        for fmt in ("csv", "xlsx"):
            link = re.search(rf'href="(/exports/cases\.{fmt}[^"]*)"', board)
            assert link, (level, area, fmt)
            exported = civic.client.get(link.group(1).replace("&amp;", "&"))
            assert exported.status_code == 200, exported.text
            rows = (
                _in_order(exported.content.decode("utf-8-sig"))
                if fmt == "csv"
                else _xlsx_numbers(exported.content)
            )
            assert rows == cases, (level, area, link.group(1))
    whole_board = _numbers(page(civic, "/supervisor/overdue"))
    assert fresh not in whole_board and waiting not in whole_board


def test_escalations_and_open_supervision_orders_are_listed_until_answered(civic: Civic) -> None:
    number = dispatched(civic)
    act(civic, "worker", number, "escalate", reason=f"需要社区协调 {HOSTILE}", summon=["housing"])
    act(
        civic,
        "supervisor",
        number,
        "supervise",
        note="请今天回复",
        respond_by=(civic.clock() + timedelta(hours=4)).isoformat(),
    )
    sign_in(civic, "supervisor", "/supervisor/escalations")
    board = page(civic, "/supervisor/escalations")
    assert board.count(number) >= 2 and "需要社区协调 &lt;script&gt;" in board and "请今天回复" in board
    assert "吹哨部门： 住建</span>" in board  # the organisation summoned, by its name
    history = page(civic, f"/cases/{number}").split('id="history"', 1)[1]
    assert "已召集: 高新区住房和城乡建设局" in history and "housing" not in history  # and on the case page
    act(civic, "worker", number, "accept")  # the unit answers
    board = page(civic, "/supervisor/escalations")
    assert "请今天回复" not in board and "需要社区协调" in board


def test_the_systems_own_escalation_note_is_shown_in_the_readers_language(civic: Civic) -> None:
    number = dispatched(civic)
    act(civic, "worker", number, "escalate", reason=ESCALATION_REASON)  # as the sweep writes it
    sign_in(civic, "supervisor", "/supervisor/escalations")
    assert "按规则自动上报上级" in page(civic, "/supervisor/escalations")
    assert "按规则自动上报上级" in page(civic, f"/cases/{number}")
