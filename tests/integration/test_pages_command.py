"""The command centre: its pages for leaders, supervisors and operators, and its data against hand counts.

The fixture straddles local midnights (Asia/Shanghai, UTC+8): a case at 23:59 and one at 00:01 local fall
on different days although both are on 2 November in UTC.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_pages import sign_in

from civicgrid.domain.accounts import UserSpec
from civicgrid.domain.case_types import AreaChain, Callback, Location, Reporter, Satisfaction, Source
from civicgrid.domain.cases import Case
from civicgrid.domain.catalogue import Urgency
from civicgrid.domain.deadlines import Deadline, LimitMode, LimitUnit, TimeLimit
from civicgrid.domain.roles import Actor, Role
from conftest import Civic

OP = Actor(role=Role.OPERATOR, name="op")
SUP = Actor(role=Role.SUPERVISOR, name="sup")
W = Actor(role=Role.GRID_WORKER, worker_code="F0001", name="w")
DAY = TimeLimit(1, LimitUnit.DAYS, LimitMode.NATURAL)
EAST = AreaChain("D1111", "D111", "D11", "D1")
WEST = AreaChain("D2122", "D212", "D21", "D2")
NOW = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)  # Wednesday 4 November, 12:00 in Beijing
RANGE = {"from": "2026-11-01T00:00:00", "to": "2026-11-05T00:00:00"}  # local, 'to' exclusive


class Natural:
    accept_limit = TimeLimit(2, LimitUnit.HOURS, LimitMode.NATURAL)

    def due(self, start: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(start + timedelta(days=limit.amount))

    def shift(self, due: datetime, a: datetime, b: datetime, limit: TimeLimit) -> Deadline:
        return Deadline(due + (b - a))


def submitted(areas: AreaChain, at: datetime, category: str = "C0101", description: str = "x") -> Case:
    c = Case.submit(
        actor=Actor(role=Role.RESIDENT),
        at=at,
        source=Source.WEB,
        category_code=category,
        urgency=Urgency.NORMAL,
        description=description,
        location=Location(116.6, 35.4),
        areas=areas,
        reporter=Reporter(),
    )
    c.register(actor=OP, at=at, limit=DAY)
    return c


def dispatched(c: Case) -> Case:
    c.dispatch(actor=OP, at=c.submitted_at, org_code="chengguan", assignee_code="F0001", deadlines=Natural())
    return c


@pytest.fixture
def stored(civic: Civic) -> Civic:
    a = dispatched(submitted(EAST, datetime(2026, 11, 2, 15, 59, tzinfo=UTC)))  # 23:59 on 2 Nov local
    a.accept(actor=W, at=a.submitted_at + timedelta(minutes=5))
    a.start(actor=W, at=a.submitted_at + timedelta(minutes=10))
    a.report(actor=W, at=a.submitted_at + timedelta(minutes=20), note="done")
    a.verify(actor=SUP, at=datetime(2026, 11, 2, 16, 30, tzinfo=UTC), ok=True)  # 00:30 on 3 Nov local
    a.record_callback(
        actor=OP,
        at=a.closed_at + timedelta(hours=1),
        callback=Callback(True, True, True, Satisfaction.SATISFIED),
    )  # type: ignore[operator]
    # 00:01 on 3 Nov local, one day to handle it: overdue at 00:01 on 4 Nov local, still open at NOW.
    b = dispatched(submitted(WEST, datetime(2026, 11, 2, 16, 1, tzinfo=UTC), category="C0102"))
    c = submitted(EAST, datetime(2026, 11, 1, 15, 0, tzinfo=UTC), description="<script>x</script>")
    with civic.app.uow() as u:
        for case in (a, b, c):
            u.cases.add(case)
        u.commit()
    civic.clock.now = NOW
    return civic


def get(civic: Civic, path: str, who: str = "leader", **params: Any) -> Any:
    answer = civic.client.get(path, params={**RANGE, **params}, headers=civic.as_(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_trends_count_per_local_day_across_midnight(stored: Civic) -> None:
    days = get(stored, "/api/v1/figures/trends")["days"]
    assert days == [
        {"date": "2026-11-01", "submitted": 1, "closed": 0, "overdue": 0},
        {"date": "2026-11-02", "submitted": 1, "closed": 0, "overdue": 0},
        {"date": "2026-11-03", "submitted": 1, "closed": 1, "overdue": 0},
        {"date": "2026-11-04", "submitted": 0, "closed": 0, "overdue": 1},
    ]


def test_the_summary_has_the_previous_period_and_the_change(stored: Civic) -> None:
    found = get(stored, "/api/v1/figures/summary")
    now, before = found["current"], found["previous"]
    assert now["counts"]["submitted"] == 3 and now["counts"]["open"] == 2 and now["counts"]["overdue"] == 1
    assert now["rates"]["response"] == 1.0 and now["rates"]["closure"] == pytest.approx(1 / 3)
    assert before["counts"]["submitted"] == 0 and before["rates"]["response"] is None
    assert found["change"]["submitted"] == 3 and found["change"]["response"] is None
    assert found["previous_from"].startswith("2026-10-28T00:00:00+08:00")


def test_the_map_drills_down_and_areas_without_cases_have_no_figures(stored: Civic) -> None:
    streets = {f["id"]: f["properties"] for f in get(stored, "/api/v1/figures/map")["features"]}
    assert set(streets) == {"D1", "D2"}
    assert streets["D1"]["counts"]["submitted"] == 2 and streets["D1"]["rates"]["response"] == 1.0
    assert streets["D2"]["counts"]["submitted"] == 1 and streets["D2"]["rates"]["response"] is None
    grids = get(stored, "/api/v1/figures/map", parent="D11")
    assert grids["level"] == "grid" and [c["code"] for c in grids["breadcrumb"]] == ["D", "D1", "D11"]
    by_code = {f["id"]: f["properties"] for f in grids["features"]}
    assert set(by_code) == {"D111", "D112"}
    assert by_code["D111"]["counts"]["submitted"] == 2
    assert by_code["D112"]["counts"] is None and by_code["D112"]["rates"] is None  # no data, not zero
    micro = get(stored, "/api/v1/figures/map", parent="D111")
    assert micro["level"] == "microgrid" and {f["id"] for f in micro["features"]} == {"D1111", "D1112"}
    assert all(f["type"] == "Feature" and f["geometry"]["type"] for f in micro["features"])


def test_rankings_leave_groups_without_data_unranked(stored: Civic) -> None:
    found = get(stored, "/api/v1/figures/rankings", group="street", by="response")
    assert [r["key"] for r in found["top"]] == ["D1"] and found["no_data"] == 1
    by_count = get(stored, "/api/v1/figures/rankings", group="street", by="submitted")
    assert [(r["key"], r["rank"]) for r in by_count["top"]] == [("D1", 1), ("D2", 2)]
    assert [(r["key"], r["rank"]) for r in by_count["bottom"]] == [("D2", 2), ("D1", 1)]
    tied = get(stored, "/api/v1/figures/rankings", group="street", by="open")  # one open case each
    assert [(r["key"], r["rank"]) for r in tied["top"]] == [("D1", 1), ("D2", 1)]


def test_categories_group_minors_under_their_major(stored: Civic) -> None:
    majors = get(stored, "/api/v1/figures/categories")["majors"]
    assert [m["key"] for m in majors] == ["C01"]
    c01 = majors[0]
    assert c01["counts"]["submitted"] == 3 and [m["key"] for m in c01["minors"]] == ["C0101", "C0102"]
    assert c01["name"] == "公用设施"
    assert c01["minors"][1]["rates"]["satisfaction"] is None
    english = stored.client.get(
        "/api/v1/figures/categories", params=RANGE, headers={**stored.as_("leader"), "Accept-Language": "en"}
    )
    assert english.json()["majors"][0]["name"] == "Public utility facilities"


def desk_user(civic: Civic, areas: frozenset[str]) -> None:
    civic.add_account("desk2", UserSpec("desk2", Role.SUPERVISOR, "西街值班", area_codes=areas))


def test_a_desk_with_areas_sees_only_its_areas(stored: Civic) -> None:
    desk_user(stored, frozenset({"D2"}))
    sign_in(stored, "desk2")
    summary = stored.client.get("/api/v1/figures/summary", params=RANGE).json()
    assert summary["current"]["counts"]["submitted"] == 1
    streets = stored.client.get("/api/v1/figures/map", params=RANGE).json()["features"]
    assert {f["id"]: f["properties"]["counts"] is None for f in streets} == {"D1": True, "D2": False}
    page = stored.client.get(
        "/command", params={"period": "custom", "from": "2026-11-01", "to": "2026-11-04"}
    )
    assert page.status_code == 200 and "D2" in page.text
    # The response rate of a scope without callbacks is no data ("—"), not 0 %; its closure rate is 0 %.
    response = page.text.split('data-figure="response"')[1].split('data-figure="resolution"')[0]
    assert '<div class="value"><span class="nodata"' in response and "%" not in response
    closure = page.text.split('data-figure="closure"')[1].split('data-figure="score"')[0]
    assert "0.0%" in closure


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-11-05T00:00:00", "to": "2026-11-01T00:00:00"}, "invalid_period"),
        ({"from": "2024-01-01T00:00:00", "to": "2026-11-01T00:00:00"}, "invalid_period"),
    ],
)
def test_a_period_that_ends_before_it_starts_is_refused(
    stored: Civic, params: dict[str, str], code: str
) -> None:
    for path in ("/api/v1/figures/trends", "/api/v1/figures/summary", "/api/v1/figures/map"):
        answer = stored.client.get(path, params=params, headers=stored.as_("leader"))
        assert answer.status_code == 422 and answer.json()["error"]["code"] == code
    zh = stored.client.get("/api/v1/figures/trends", params=params, headers=stored.as_("leader"))
    assert "周期" in zh.json()["error"]["message"] or "天" in zh.json()["error"]["message"]


def test_unknown_levels_figures_and_areas_are_refused(stored: Civic) -> None:
    leader = stored.as_("leader")
    for path, params in (
        ("/api/v1/figures/map", {"level": "planet"}),
        ("/api/v1/figures/rankings", {"by": "happiness"}),
        ("/api/v1/figures/rankings", {"group": "galaxy"}),
    ):
        answer = stored.client.get(path, params=params, headers=leader)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request", answer.text
    missing = stored.client.get("/api/v1/figures/map", params={"parent": "NOPE"}, headers=leader)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_area"
    leaf = stored.client.get("/api/v1/figures/map", params={"parent": "D1111"}, headers=leader)
    assert leaf.status_code == 422 and leaf.json()["error"]["code"] == "invalid_level"
    mismatch = stored.client.get(
        "/api/v1/figures/map", params={"parent": "D1", "level": "grid"}, headers=leader
    )
    assert mismatch.status_code == 422


@pytest.mark.parametrize("who", ["leader", "supervisor", "operator"])
@pytest.mark.parametrize(("lang", "title"), [("zh-CN", "指挥中心"), ("en", "Command centre")])
def test_the_pages_render_for_the_command_roles_in_both_languages(
    stored: Civic, who: str, lang: str, title: str
) -> None:
    sign_in(stored, who)
    for path in ("/command", "/command/wall"):
        page = stored.client.get(path, headers={"accept-language": lang})
        assert page.status_code == 200 and title in page.text
        assert "/static/vendor/echarts.min.js" in page.text and 'id="cc-map"' in page.text
    desk = stored.client.get(
        "/command", params={"period": "custom", "from": "2026-11-01", "to": "2026-11-04"}
    ).text
    assert "/exports/figures.csv?from=2026-11-01T00%3A00%3A00%2B08%3A00" in desk
    assert "&amp;group_by=street" in desk and "/exports/figures.xlsx?" in desk
    assert "<script>x</script>" not in desk
    assert 'id="f-from" name="from" type="date" value="2026-11-01"' in desk
    # The previous period said as the period is: whole days, the last included (not midnight to midnight).
    assert "对比 2026-10-28 至 2026-10-31" in desk or "compared with 2026-10-28 to 2026-10-31" in desk
    # A preset chosen with the old dates still in the boxes: the boxes show the preset's own days.
    today = stored.client.get(
        "/command", params={"period": "today", "from": "2026-10-01", "to": "2026-10-03"}
    ).text
    assert 'value="2026-10-01"' not in today and 'value="2026-10-03"' not in today


def test_the_figures_on_the_desk_match_the_fixture(stored: Civic) -> None:
    sign_in(stored, "leader")
    page = stored.client.get(
        "/command", params={"period": "custom", "from": "2026-11-01", "to": "2026-11-04", "by": "response"}
    ).text
    kpis = page.split('id="cc-kpis"')[1].split("</section>")[0]
    assert "100.0%" in kpis and "33.3%" in kpis  # response 1/1, closure 1/3
    assert "公用设施" in page and "雨水箅子" in page
    assert "1 without data for this figure are not ranked" in page or "不参与排名" in page
    # The overdue figure leads to its own cases: overdue now, submitted in the period (the leader may list
    # cases); as many as the figure says, for a period with some and for one with none.
    for params in ({"period": "custom", "from": "2026-11-01", "to": "2026-11-04"}, {"period": "today"}):
        desk = stored.client.get("/command", params=params).text
        figure = re.search(r'data-figure="overdue".*?<div class="value">(\d+)', desk, re.S)
        link = re.search(r'id="overdue-list" href="([^"]+)"', desk)
        assert figure and link, params
        listed = stored.client.get(html.unescape(link.group(1)))
        assert listed.status_code == 200, listed.text[:300]
        found = re.search(r"共 (\d+) 件", listed.text)
        assert found and found.group(1) == figure.group(1), (params, figure.group(1), found)
    assert 'id="overdue-list"' not in stored.client.get("/command/wall").text


@pytest.mark.parametrize("who", ["worker", "handler", "admin", "resident"])
def test_other_roles_are_refused(stored: Civic, who: str) -> None:
    sign_in(stored, who)
    for path in ("/command", "/command/wall"):
        assert stored.client.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(stored: Civic) -> None:
    answer = stored.client.get("/command/wall", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fcommand%2Fwall"


def test_a_bad_period_on_the_page_is_explained_in_the_page(stored: Civic) -> None:
    sign_in(stored, "leader")
    page = stored.client.get(
        "/command", params={"period": "custom", "from": "2026-11-04", "to": "2026-11-01"}
    )
    assert page.status_code == 422 and 'role="alert"' in page.text and "指挥中心" in page.text
    unknown = stored.client.get("/command", params={"period": "forever"})
    assert unknown.status_code == 422
    beyond = stored.client.get(
        "/command", params={"period": "custom", "from": "9999-12-01", "to": "9999-12-31"}
    )
    assert beyond.status_code == 422 and "日期须在 1900-01-01 至 8999-12-31 之间" in beyond.text
    # An emptied or unreadable date box: said on the page, which keeps the form as it was asked.
    for typed, said in (("", "请选择统计周期的开始日期和结束日期"), ("2026-13-01", "“起”不是有效日期")):
        page = stored.client.get("/command", params={"period": "custom", "from": typed, "to": "2026-11-20"})
        assert page.status_code == 422 and 'role="alert"' in page.text and 'id="f-from"' in page.text
        assert '<option value="custom" selected' in page.text and 'value="2026-11-20"' in page.text
        assert said in page.text.split('role="alert"', 1)[1][:200], typed
        assert "from:" not in page.text and "ISO 8601" not in page.text
