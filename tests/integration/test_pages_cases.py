"""The case search and the case page: each role sees its cases and its actions, and drives the lifecycle."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from test_pages import sign_in

from civicgrid.domain.case_types import Status
from civicgrid.domain.cases import Case
from civicgrid.domain.roles import Actor
from civicgrid.services import dispatch, workflow
from conftest import Civic

IN_D111 = {"lon": 116.6025, "lat": 35.4025}  # micro-grid D1111 of grid D111: worker F0001 ("worker")
IN_D212 = {"lon": 116.6175, "lat": 35.4175}  # grid D212: no grid worker account serves it
PHONE = "13812341234"
SYSTEM = Actor.system()


def report(civic: Civic, **extra: Any) -> str:
    return str(filed(civic, **extra)["number"])


def filed(civic: Civic, **extra: Any) -> dict[str, Any]:
    """A resident's report in grid D111 as the API answers it (number, tracking link...)."""
    body = {
        "category_code": "C0101",
        "description": "东苑小区3号楼下井盖缺失，晚上很危险",
        **IN_D111,
        "address": "东苑小区3号楼",
        "reporter_name": "张三",
        "reporter_phone": PHONE,
    } | extra
    answer = civic.client.post("/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def accepted(civic: Civic) -> str:
    """A report in grid D111, dispatched to 城管 and worker F0001, who signed for it."""
    number = report(civic)
    act_api(civic, "operator", number, "register")
    act_api(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="F0001")
    act_api(civic, "worker", number, "accept")
    return number


def stored(civic: Civic, number: str) -> Case:
    return workflow.view_case(uow=civic.app.reader, number=number, actor=SYSTEM)


def act_api(civic: Civic, who: str, number: str, action: str, **body: Any) -> None:
    answer = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_(who))
    assert answer.status_code == 200, (action, answer.text)


def page(civic: Civic, number: str, **params: str) -> str:
    answer = civic.client.get(f"/cases/{number}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.text


def version_on(html: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', html)
    assert found, "no action form on the page"
    return found.group(1)


def csrf_on(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert found
    return found.group(1)


def post(civic: Civic, number: str, action: str, html: str, files: Any = None, **fields: Any) -> Any:
    data = {"csrf_token": csrf_on(html), "expected_version": version_on(html), **fields}
    return civic.client.post(
        f"/cases/{number}/actions/{action}", data=data, files=files, follow_redirects=False
    )


def selected(html: str, select_id: str) -> str:
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert block, select_id
    found = re.search(r'<option value="([^"]*)" selected', block.group(1))
    return found.group(1) if found else ""


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def forms_on(html: str) -> set[str]:
    return set(re.findall(r'id="form-([a-z]+)"', html))


# ----------------------------------------------------------------------------------- the lifecycle
def test_a_case_goes_through_its_whole_life_on_the_case_page(civic: Civic) -> None:
    answer = filed(civic)
    number, tracking = str(answer["number"]), str(answer["tracking_url"])

    sign_in(civic, "operator")
    html = page(civic, number)
    assert {"register", "reject", "merge"} <= forms_on(html) and "dispatch" not in forms_on(html)
    done = post(civic, number, "register", html, note="属实，立案")
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{number}"
    assert stored(civic, number).status is Status.REGISTERED

    html = page(civic, number)
    assert "已立案" in html  # the flash message, in Chinese by default
    assert 'id="suggestion"' in html
    suggested = dispatch.suggest_for_case(uow=civic.app.reader, classifier=None, number=number, actor=SYSTEM)
    org, worker = selected(html, "f-dispatch-org_code"), selected(html, "f-dispatch-assignee_code")
    assert (org, worker) == (suggested.org_code, suggested.assignee_code) == ("chengguan", "P0001")
    assert "P0001" in html.split('id="suggestion"', 1)[1].split("</div>", 1)[0] or "城管队员" in html
    # Its reasons name the category and the department in the reader's language.
    english = page(civic, number, lang="en").split('id="suggestion"', 1)[1].split("</form>", 1)[0]
    assert "handles" in english and not re.search("[\u4e00-\u9fff]{2,} handles", english), english
    # The suggestion is preselected and overridable: the operator sends it to the grid's own worker.
    assert post(civic, number, "dispatch", html, org_code=org, assignee_code="F0001").status_code == 303
    case = stored(civic, number)
    assert (case.status, case.org_code, case.assignee_code) == (Status.DISPATCHED, "chengguan", "F0001")

    sign_in(civic, "worker")
    html = page(civic, number)
    assert forms_on(html) >= {"accept", "return"} and "register" not in forms_on(html)
    assert 'id="do-accept"' in html
    assert post(civic, number, "accept", html).status_code == 303
    assert stored(civic, number).status is Status.ACCEPTED
    html = page(civic, number)
    assert post(civic, number, "start", html, note="已到现场").status_code == 303
    assert stored(civic, number).status is Status.IN_PROGRESS

    html = page(civic, number)
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    photo = [("photos", ("well.png", png(), "image/png"))]
    assert post(civic, number, "report", html, files=photo, note="井盖已更换").status_code == 303
    case = stored(civic, number)
    assert case.status is Status.HANDLED and len(case.photos) == 1
    html = page(civic, number)
    src = f"/cases/{number}/photos/{case.photos[0]}"
    assert src in html and "井盖已更换" in html
    answer = civic.client.get(src)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    # The resident's tracking page shows the unit's photo as the result's, not among what they reported.
    public = civic.client.get("/track/" + tracking.rsplit("/track/", 1)[1]).text
    assert 'id="result-photos"' in public and 'id="reported-photos"' not in public

    sign_in(civic, "supervisor")
    html = page(civic, number)
    assert "verify" in forms_on(html)
    assert post(civic, number, "verify", html, ok="true", note="现场核实").status_code == 303
    assert stored(civic, number).status is Status.CLOSED

    sign_in(civic, "operator")
    html = page(civic, number)
    fields = {"valid": "true", "contacted": "true", "resolved": "true", "satisfaction": "basically_satisfied"}
    assert post(civic, number, "callback", html, comment="居民认可", **fields).status_code == 303
    case = stored(civic, number)
    assert case.status is Status.EVALUATED and case.callback is not None
    assert (
        case.callback.satisfaction is not None and case.callback.satisfaction.value == "basically_satisfied"
    )
    html = page(civic, number)
    assert 'id="no-actions"' in html or forms_on(html) <= {"comment", "escalate"}
    history = html.split('id="history"', 1)[1]
    for step in ("回访", "结案", "反馈", "处置", "签收", "派遣", "立案", "上报"):
        assert step in history, step
    assert "张网格" in history and "王受理" in history  # who, by name


def test_a_supervisor_decides_a_pending_extension_and_the_worker_may_not(civic: Civic) -> None:
    number = accepted(civic)
    sign_in(civic, "worker")
    html = page(civic, number)
    due = stored(civic, number).due
    assert due is not None
    later = (due.astimezone().replace(tzinfo=None)).isoformat(timespec="minutes")
    answer = post(civic, number, "extend", html, new_due="2026-12-30T17:00", reason="材料未到")
    assert answer.status_code == 303, answer.text
    case = stored(civic, number)
    assert case.pending is not None and case.pending.kind == "extension"
    assert "decide" not in forms_on(page(civic, number)) and later

    sign_in(civic, "supervisor")
    html = page(civic, number)
    assert "decide" in forms_on(html) and "材料未到" in html
    assert post(civic, number, "decide", html, approve="true").status_code == 303
    case = stored(civic, number)
    assert case.pending is None and case.extension_count == 1 and case.due is not None and case.due > due
    counts = page(civic, number, lang="en").split('aria-label="Counts"', 1)[1].split("</ul>", 1)[0]
    assert '<span class="n">1</span> extension</li>' in counts and "0</span> returns" in counts
    assert '<span class="n">1</span> 次延期' in page(civic, number)


def test_the_desk_merges_a_duplicate_it_is_offered_and_rejects_with_a_reason(civic: Civic) -> None:
    first = report(civic)
    again = report(civic, description="东苑小区3号楼下井盖没了，晚上很危险")
    stray = report(civic, description="咨询社保卡办理流程")
    sign_in(civic, "operator")
    html = page(civic, again)
    assert f'name="into" value="{first}"' in html  # the duplicates service's candidate
    assert 'id="form-merge"' in html and 'data-confirm="' in html.split('id="form-merge"', 1)[1][:200]
    # As a browser sends it: the ticked candidate, then the empty "or another case number" box.
    assert post(civic, again, "merge", html, into=[first, ""]).status_code == 303
    merged = stored(civic, again)
    assert merged.status is Status.MERGED and merged.merged_into == stored(civic, first).id

    html = page(civic, stray)
    assert 'data-confirm="' in html.split('id="form-reject"', 1)[1][:200]
    assert post(civic, stray, "reject", html, reason="不属于受理范围").status_code == 303
    rejected = stored(civic, stray)
    assert rejected.status is Status.CLOSED and rejected.outcome is not None
    assert rejected.outcome.value == "rejected"


# ---------------------------------------------------------------------------------- who sees what
def test_each_role_sees_only_its_cases_and_its_actions(civic: Civic) -> None:
    mine = report(civic)
    elsewhere = report(civic, **IN_D212)

    sign_in(civic, "worker")
    # In the worker's grid but not yet theirs: they may only hand it up the chain (上报上级).
    assert forms_on(page(civic, mine)) == {"escalate"}
    assert civic.client.get(f"/cases/{elsewhere}").status_code == 404
    listing = civic.client.get("/cases").text
    assert mine in listing and elsewhere not in listing

    sign_in(civic, "worker2")
    missing = civic.client.get("/cases/NO-SUCH-CASE")
    hidden = civic.client.get(f"/cases/{mine}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(mine, "X") == missing.text.replace("NO-SUCH-CASE", "X")

    sign_in(civic, "handler")
    assert civic.client.get(f"/cases/{mine}").status_code == 404  # not sent to 城管 yet

    sign_in(civic, "leader")
    html = page(civic, elsewhere)
    assert forms_on(html) == set() and 'id="no-actions"' in html

    sign_in(civic, "admin")
    assert civic.client.get("/cases").status_code == 403
    civic.client.cookies.clear()
    anonymous = civic.client.get(f"/cases/{mine}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")


def test_a_worker_cannot_post_an_action_the_page_did_not_offer(civic: Civic) -> None:
    number = report(civic)
    sign_in(civic, "worker")
    html = page(civic, number)
    token = csrf_on(html)
    answer = civic.client.post(f"/cases/{number}/actions/register", data={"csrf_token": token})
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert stored(civic, number).status is Status.SUBMITTED
    unknown = civic.client.post(f"/cases/{number}/actions/explode", data={"csrf_token": token})
    assert unknown.status_code == 404


def test_photos_are_served_only_to_those_who_may_see_the_case(civic: Civic) -> None:
    upload = civic.client.post("/api/v1/photos", files=[("files", ("a.png", png(), "image/png"))])
    name = upload.json()[0]["name"]
    number = report(civic, photos=[name])
    other = report(civic, **IN_D212)
    sign_in(civic, "worker")
    assert civic.client.get(f"/cases/{number}/photos/{name}").status_code == 200
    sign_in(civic, "operator")
    assert civic.client.get(f"/cases/{other}/photos/{name}").status_code == 404  # not that case's photo
    sign_in(civic, "worker2")
    assert civic.client.get(f"/cases/{number}/photos/{name}").status_code == 404


def test_personal_data_is_masked_for_the_roles_that_must_not_see_it(civic: Civic) -> None:
    number = report(civic)
    for who in ("leader", "worker"):
        sign_in(civic, who)
        for html in (page(civic, number), civic.client.get("/cases").text):
            assert PHONE not in html and "138****1234" in html, who
        assert 'id="reporter-masked"' in page(civic, number)
    sign_in(civic, "operator")
    html = page(civic, number)
    assert f'href="tel:{PHONE}"' in html and "张三" in html
    act_api(civic, "operator", number, "register")
    act_api(civic, "operator", number, "dispatch", org_code="chengguan", assignee_code="F0001")
    sign_in(civic, "worker")  # the assignee may need to reach the reporter
    assert PHONE in page(civic, number)


# ---------------------------------------------------------------------------------- refusals
def test_a_stale_version_is_refused_with_409_and_the_page_says_reload(civic: Civic) -> None:
    number = report(civic)
    sign_in(civic, "operator")
    html = page(civic, number)
    act_api(civic, "supervisor", number, "comment", note="另一位同事先处理了")
    answer = post(civic, number, "register", html)
    assert answer.status_code == 409
    assert 'role="alert"' in answer.text and 'id="reload-case"' in answer.text
    assert "有人在您查看期间修改了此案件" in answer.text
    assert stored(civic, number).status is Status.SUBMITTED
    en = civic.client.post(
        f"/cases/{number}/actions/register?lang=en",
        data={"csrf_token": csrf_on(html), "expected_version": version_on(html)},
    )
    assert en.status_code == 409 and "The case changed while you were looking" in en.text


def test_a_refused_form_comes_back_with_the_message_and_what_was_typed(civic: Civic) -> None:
    number = accepted(civic)
    sign_in(civic, "worker")
    html = page(civic, number)
    too_early = post(civic, number, "extend", html, new_due="2026-11-02T10:00", reason="还需协调物业")
    assert too_early.status_code == 400
    assert 'role="alert"' in too_early.text and "延期" in too_early.text
    assert "还需协调物业" in too_early.text and 'id="action-extend" open' in too_early.text
    bad_date = post(civic, number, "extend", html, new_due="not a date", reason="还需协调物业")
    assert bad_date.status_code == 422 and 'id="e-extend-new_due"' in bad_date.text
    no_reason = post(civic, number, "return", html, reason="")
    assert no_reason.status_code == 422 and 'id="e-return-reason"' in no_reason.text
    assert stored(civic, number).pending is None


NOT_A_MOMENT = "不是有效的日期或时间，请按 2026-11-20 或 2026-11-20 17:30 的格式填写"


def test_a_date_that_is_not_one_is_refused_alike_on_every_page_never_with_a_500(civic: Civic) -> None:
    number = accepted(civic)
    sign_in(civic, "operator")
    for bad in ("yesterday", "2026-13-01", "2026-11-02T25:00", "２０２６-11-02"):
        search = civic.client.get("/cases", params={"from": bad})
        assert search.status_code == 422 and f"上报时间自：{NOT_A_MOMENT}" in search.text, bad
    en = civic.client.get("/cases", params={"to": "soon", "lang": "en"})
    assert en.status_code == 422 and "Submitted before: not a date or time." in en.text
    sign_in(civic, "admin", "/admin")
    audit = civic.client.get("/admin/audit", params={"from": "2026-11-02", "to": "noon"})
    assert audit.status_code == 422 and NOT_A_MOMENT in audit.text
    sign_in(civic, "worker")
    html = page(civic, number)
    for bad in ("not a date", "   ", "2026-11-31T10:00"):
        refused = post(civic, number, "extend", html, new_due=bad, reason="还需协调物业")
        assert refused.status_code == 422 and f"新的办结时限：{NOT_A_MOMENT}" in refused.text, bad
        assert 'id="e-extend-new_due"' in refused.text


def test_every_search_parameter_with_a_bad_value_is_a_422_naming_the_field(civic: Civic) -> None:
    sign_in(civic, "operator")
    bad = {"status": "nope", "urgency": "x", "source": "x", "warning": "blue", "deadline": "late"}
    bad |= {flag: "maybe" for flag in ("overdue", "pending", "escalated", "supervised")}
    bad |= {name: "x" * 101 for name in ("area", "org", "assignee", "category", "q")}
    bad |= {"sort": "x", "page": "0", "page_size": "1000", "from": "x", "to": "x"}
    for name, value in bad.items():
        answer = civic.client.get("/cases", params={name: value})
        assert answer.status_code == 422 and "{field}" not in answer.text, (name, answer.status_code)
        assert re.search(r"查询条件有误：[^a-z<]+。|：不是有效的日期", answer.text), name


def test_a_typed_time_without_a_zone_is_on_the_districts_clock(civic: Civic) -> None:
    number = accepted(civic)
    sign_in(civic, "worker")
    asked = post(civic, number, "extend", page(civic, number), new_due="2026-12-30T17:00", reason="材料未到")
    assert asked.status_code == 303
    pending = stored(civic, number).pending
    assert pending is not None and pending.new_due is not None
    assert pending.new_due == datetime(2026, 12, 30, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
    sign_in(civic, "operator")
    assert number in civic.client.get("/cases", params={"from": "2026-11-02"}).text  # reported at 09:00
    assert number not in civic.client.get("/cases", params={"from": "2026-11-02T09:01"}).text


def test_text_typed_by_anyone_is_shown_as_text(civic: Civic) -> None:
    hostile = "<script>alert(1)</script>"
    number = report(civic, description=f"井盖 {hostile}", address=hostile)
    act_api(civic, "operator", number, "comment", note=f"备注 {hostile}")
    sign_in(civic, "operator")
    for html in (page(civic, number), civic.client.get("/cases", params={"q": hostile}).text):
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    refused = post(civic, number, "reject", page(civic, number), reason="")
    assert refused.status_code == 422 and "<script>alert(1)" not in refused.text


# ---------------------------------------------------------------------------------- the list
def test_the_case_list_filters_sorts_pages_and_links_its_exports(civic: Civic) -> None:
    first = report(civic, description="路灯不亮")
    second = report(civic, description="井盖缺失", **IN_D212)
    act_api(civic, "operator", first, "register")
    sign_in(civic, "operator")
    html = civic.client.get("/cases", params={"status": "registered"}).text
    assert first in html and second not in html
    assert 'href="/exports/cases.csv?status=registered"' in html
    assert 'href="/exports/cases.xlsx?status=registered"' in html
    text = civic.client.get("/cases", params={"q": "井盖", "area": "", "source": "", "overdue": ""}).text
    assert second in text and first not in text
    assert 'href="/exports/cases.csv?q=' in text and "area=" not in text.split('id="export-csv"')[1][:120]
    by_area = civic.client.get("/cases", params={"area": "D21"}).text
    assert second in by_area and first not in by_area
    for sort in ("due", "due_desc", "oldest", "newest"):
        assert civic.client.get("/cases", params={"sort": sort}).status_code == 200
    paged = civic.client.get("/cases", params={"page_size": "1"}).text
    assert "page=2" in paged
    for bad in ({"page": "abc"}, {"sort": "'; drop"}, {"from": "yesterday"}, {"status": "nope"}):
        answer = civic.client.get("/cases", params=bad)
        assert answer.status_code == 422 and "<html" in answer.text, bad
    assert "查询条件有误：页码" in civic.client.get("/cases", params={"page": "0"}).text
    en = civic.client.get("/cases", params={"lang": "en"}).text
    assert "Export CSV" in en and "Cases" in en


def test_the_case_page_names_things_in_both_languages(civic: Civic) -> None:
    number = report(civic)
    sign_in(civic, "operator")
    zh = page(civic, number)
    assert "井盖" in zh and "立案" in zh and 'data-focus="D1111"' in zh
    en = page(civic, number, lang="en")
    assert 'lang="en"' in en and "Register" in en.title() and "Summary" in en


def test_the_pending_filter_finds_only_cases_waiting_for_a_supervisor(civic: Civic) -> None:
    from test_api import act, report

    from civicgrid.analytics.case_queries import CaseFilters, list_cases
    from civicgrid.domain.access import CaseScope

    waiting = report(civic)["number"]
    report(civic)
    act(civic, "operator", waiting, "register")
    act(civic, "operator", waiting, "dispatch", org_code="chengguan", assignee_code="F0001")
    act(civic, "worker", waiting, "return", reason="不属于本网格")
    everything = CaseScope(everything=True)
    with civic.app.engine.connect() as conn:
        for pending, expected in ((True, 1), (False, 1)):
            found = list_cases(
                conn, scope=everything, filters=CaseFilters(pending=pending), now=civic.clock()
            )
            assert found.total == expected, pending
    rows = civic.client.get(
        "/api/v1/cases", params={"pending": "true"}, headers=civic.as_("supervisor")
    ).json()
    assert [c["number"] for c in rows["items"]] == [waiting]


def test_the_callback_form_starts_as_reached_only_when_the_resident_can_be_reached(civic: Civic) -> None:
    reachable = accepted(civic)
    anonymous = report(civic, reporter_name=None, reporter_phone=None, anonymous=True)
    act_api(civic, "operator", anonymous, "register")
    act_api(civic, "operator", anonymous, "dispatch", org_code="chengguan", assignee_code="F0001")
    act_api(civic, "worker", anonymous, "accept")
    for number in (reachable, anonymous):
        act_api(civic, "worker", number, "start")
        act_api(civic, "worker", number, "report", note="已处理")
        act_api(civic, "supervisor", number, "verify", ok=True)
    sign_in(civic, "operator")
    for number, ticked in ((reachable, True), (anonymous, False)):
        html = page(civic, number)
        assert "callback" in forms_on(html)
        form = html.split('name="valid"', 1)[1].split(">", 1)[0]
        assert ("checked" in form) is ticked, number
        assert ('id="callback-unreachable"' in html) is not ticked
