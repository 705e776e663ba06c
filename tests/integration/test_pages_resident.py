"""The resident's pages: report (with and without JavaScript), confirmation, tracking and rating."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from PIL import Image

from conftest import Civic

INSIDE = {"lon": "116.6025", "lat": "35.4025"}  # micro-grid D1111 of grid D111, community 高新区-1-1
NOT_ANONYMOUS = "E0602"  # 消费维权: the catalogue asks for a phone number


def form(**extra: Any) -> dict[str, Any]:
    return {
        "category_code": "C0101",
        "description": "东苑小区3号楼下井盖缺失，晚上很危险",
        "idempotency_key": "page-test-key-1",
        **INSIDE,
    } | extra


def file_without_js(civic: Civic, **extra: Any) -> tuple[str, str]:
    """POST the form as a browser without JavaScript does; the number and token of the new case."""
    answer = civic.client.post("/report", data=form(**extra), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    token = answer.headers["location"].removeprefix("/report/sent/")
    public = civic.client.get(f"/api/v1/track/{token}").json()
    return public["number"], token


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def stored(civic: Civic, number: str) -> dict[str, Any]:
    case = civic.client.get(f"/api/v1/cases/{number}", headers=civic.as_("operator"))
    assert case.status_code == 200
    data: dict[str, Any] = case.json()
    return data


def close(civic: Civic, number: str) -> None:
    for who, action, body in (
        ("operator", "register", {"note": "内部备注：先联系物业"}),
        ("operator", "dispatch", {"org_code": "chengguan", "assignee_code": "F0001"}),
        ("worker", "accept", {}),
        ("worker", "start", {}),
        ("worker", "report", {"note": "已补装井盖"}),
        ("supervisor", "verify", {"ok": True}),
    ):
        r = civic.client.post(f"/api/v1/cases/{number}/{action}", json=body, headers=civic.as_(who))
        assert r.status_code == 200, (action, r.text)


def test_the_report_form_renders_in_both_languages_with_a_label_on_every_field(civic: Civic) -> None:
    zh = civic.client.get("/report")
    assert zh.status_code == 200 and 'lang="zh-CN"' in zh.text
    assert "遇到了什么问题" in zh.text and "提交诉求" in zh.text and "使用我的位置" in zh.text
    en = civic.client.get("/report?lang=en")
    assert "What is the problem?" in en.text and "Send the report" in en.text and "Use my location" in en.text
    for page in (zh.text, en.text):
        for field in ("category_code", "description", "address", "reporter_name", "reporter_phone", "photos"):
            assert f'for="f-{field}"' in page and f'id="f-{field}"' in page, field
        assert 'enctype="multipart/form-data"' in page and 'name="idempotency_key"' in page
        assert re.search(r"<script(?![^>]*\b(src|type=\"application/json\")=?)[^>]*>\s*\S", page) is None
    # All 102 categories under their 18 major classes, searchable by the page's script.
    assert zh.text.count("<optgroup") == 18 and "井盖" in zh.text and "Manhole cover" in en.text
    assert "窨井盖" in zh.text  # keywords are in the search index


def test_the_category_search_works_without_javascript(civic: Civic) -> None:
    page = civic.client.get("/report", params={"q": "井盖丢了"})
    assert "与“井盖丢了”相符的类型" in page.text
    first = re.search(r"<optgroup label=\"与[^\"]*\">\s*<option value=\"(\w+)\" selected", page.text)
    assert first and first.group(1) == "C0101"


def test_a_report_sent_without_javascript_is_stored_and_confirmed(civic: Civic) -> None:
    number, token = file_without_js(civic, anonymous="1", reporter_name="张三", reporter_phone="13812341234")
    case = stored(civic, number)
    assert case["category_code"] == "C0101" and case["source"] == "web"
    assert (case["lon"], case["lat"]) == (116.6025, 35.4025) and case["areas"]["microgrid"] == "D1111"
    assert case["reporter"]["anonymous"] is True and case["reporter"]["name"] is None
    sent = civic.client.get(f"/report/sent/{token}")
    assert sent.status_code == 200 and number in sent.text and f"/track/{token}" in sent.text
    assert "您的诉求已提交" in sent.text and "接下来会怎样" in sent.text
    assert "承办单位须在 24小时内办理" in sent.text  # 井盖 is a utility-class problem: 24 natural hours


def test_a_double_tap_files_one_report(civic: Civic) -> None:
    first = civic.client.post("/report", data=form(), follow_redirects=False)
    again = civic.client.post("/report", data=form(), follow_redirects=False)
    assert first.headers["location"] == again.headers["location"]
    listed = civic.client.get("/api/v1/cases", headers=civic.as_("operator")).json()
    assert listed["total"] == 1


def test_a_double_tap_with_a_photo_shows_the_first_report(civic: Civic) -> None:
    # Photos are named by their content, so the second tap's request is the first one again.
    def send() -> str:
        answer = civic.client.post(
            "/report",
            data=form(idempotency_key="page-photo-tap"),
            files=[("photo_files", ("cover.png", png(), "image/png"))],
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    assert send() == send()
    assert civic.client.get("/api/v1/cases", headers=civic.as_("operator")).json()["total"] == 1


def test_without_a_map_point_the_address_locates_the_report(civic: Civic) -> None:
    number, _ = file_without_js(civic, lon="", lat="", address="高新区-1-1 东苑小区3号楼")
    assert stored(civic, number)["areas"]["community"] == "D11"


def test_answers_and_a_photo_are_kept_with_a_report_sent_without_javascript(civic: Civic) -> None:
    data = form(**{"attr.C0101.cover_type": "sewage", "attr.C0101.condition": "missing"})
    answer = civic.client.post(
        "/report",
        data=data,
        files=[("photo_files", ("cover.png", png(), "image/png"))],
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    token = answer.headers["location"].removeprefix("/report/sent/")
    case = stored(civic, civic.client.get(f"/api/v1/track/{token}").json()["number"])
    assert case["attributes"] == {"cover_type": "sewage", "condition": "missing"}
    assert len(case["photos"]) == 1
    page = civic.client.get(f"/track/{token}")
    photo = re.search(r'<img src="(/api/v1/track/[^"]+)"', page.text)
    assert photo and civic.client.get(photo.group(1)).headers["content-type"] == "image/jpeg"


def refused(civic: Civic, lang: str = "zh_CN", **extra: Any) -> str:
    """A refused report: the form again, with a 4xx and with everything that was typed."""
    typed = form(description="路口<script>alert(1)</script>井盖缺失", address="东门口", reporter_name="李四")
    typed |= extra
    answer = civic.client.post(f"/report?lang={lang}", data=typed)
    assert 400 <= answer.status_code < 500, answer.status_code
    page = answer.text
    assert 'role="alert"' in page and "<form" in page
    if typed["description"]:
        assert "路口&lt;script&gt;alert(1)&lt;/script&gt;井盖缺失</textarea>" in page
    assert 'value="东门口"' in page and 'value="李四"' in page
    return page


def test_refused_reports_come_back_with_what_was_typed_and_the_reason(civic: Civic) -> None:
    outside = refused(civic, lon="117.5", lat="36.5")
    assert "坐标（117.5，36.5）不在本辖区内。" in outside
    refused(civic, description="")
    unknown = refused(civic, lang="en", category_code="Z9999")
    assert "Unknown category: Z9999." in unknown
    no_phone = refused(civic, category_code=NOT_ANONYMOUS, anonymous="1")
    assert "此类问题需要留下联系电话，不能匿名反映。" in no_phone
    assert civic.client.get("/api/v1/cases", headers=civic.as_("operator")).json()["total"] == 0


def test_a_missing_description_is_refused_in_the_readers_language(civic: Civic) -> None:
    answer = civic.client.post("/report?lang=en", data=form(description="  "))
    assert answer.status_code == 400 and "A report needs a description." in answer.text


def test_the_page_says_before_sending_when_a_category_cannot_be_anonymous(civic: Civic) -> None:
    page = civic.client.get("/report", params={"category": NOT_ANONYMOUS})
    checkbox = re.search(r'<input type="checkbox" id="f-anonymous"[^>]*>', page.text)
    assert checkbox and "disabled" in checkbox.group(0)
    assert 'id="anon-note" class="note">' in page.text  # shown, not hidden
    index = re.search(r'<script type="application/json" id="cat-index">(.*?)</script>', page.text, re.S)
    assert index and {c["c"]: c["a"] for c in json.loads(index.group(1))}[NOT_ANONYMOUS] is False


def test_open_cases_of_the_same_kind_nearby_are_offered_before_sending(civic: Civic) -> None:
    number, _ = file_without_js(civic)
    page = civic.client.get("/report")
    assert 'id="dups"' in page.text and "/api/v1/duplicates" not in page.text  # the script asks, not the HTML
    found = civic.client.get(
        "/api/v1/duplicates",
        params={"lon": 116.6026, "lat": 35.4026, "category": "C0101", "text": "3号楼井盖没了"},
    )
    assert found.status_code == 200
    assert [d["number"] for d in found.json()] == [number]
    assert set(found.json()[0]) == {"number", "category_code", "distance_m", "days", "status", "description"}


def test_the_tracking_page_shows_the_history_without_anybodys_personal_data(civic: Civic) -> None:
    number, token = file_without_js(civic, reporter_name="张三丰", reporter_phone="13812345678")
    close(civic, number)
    page = civic.client.get(f"/track/{token}")
    assert page.status_code == 200 and number in page.text
    assert "已办结" in page.text and "已补装井盖" in page.text  # the result is public
    for private in ("张三丰", "13812345678", "5678", "内部备注", "张网格", "王受理", "F0001"):
        assert private not in page.text, private
    en = civic.client.get(f"/track/{token}?lang=en")
    assert "Finished. Please tell us below how it was handled." in en.text
    assert 'id="status">Finished</span>' in en.text and "Work reported done" in en.text


def test_a_rating_is_taken_once_and_only_on_a_closed_case(civic: Civic) -> None:
    number, token = file_without_js(civic)
    early = civic.client.post(f"/track/{token}/rating", data={"satisfaction": "satisfied"})
    assert early.status_code == 409 and 'role="alert"' in early.text
    assert 'name="satisfaction"' not in civic.client.get(f"/track/{token}").text
    close(civic, number)
    page = civic.client.get(f"/track/{token}")
    assert 'name="satisfaction"' in page.text and "基本满意" in page.text
    missing = civic.client.post(f"/track/{token}/rating", data={"comment": "还行"})
    assert missing.status_code == 422 and "还行" in missing.text
    done = civic.client.post(
        f"/track/{token}/rating",
        data={"satisfaction": "basically_satisfied", "resolved": "yes", "comment": "修得挺快"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/track/{token}"
    after = civic.client.get(f"/track/{token}")
    assert "感谢您的评价" in after.text and 'id="rating-given"' in after.text and "基本满意" in after.text
    assert 'name="satisfaction"' not in after.text
    again = civic.client.post(f"/track/{token}/rating", data={"satisfaction": "unsatisfied"})
    assert again.status_code == 409
    assert stored(civic, number)["satisfaction"] == "basically_satisfied"
    assert "您在回访电话中的评价" not in after.text  # rated here, by the resident


def test_a_rating_taken_on_the_callback_call_is_said_to_be_so(civic: Civic) -> None:
    number, token = file_without_js(civic)
    close(civic, number)
    body = {"valid": True, "contacted": True, "resolved": True, "satisfaction": "satisfied"}
    called = civic.client.post(f"/api/v1/cases/{number}/callback", json=body, headers=civic.as_("operator"))
    assert called.status_code == 200, called.text
    page = civic.client.get(f"/track/{token}").text
    given = page.split('id="rating-given"', 1)[1].split("</p>", 1)[0]
    assert "您在回访电话中的评价" in given and "满意" in given and 'name="satisfaction"' not in page
    public = civic.client.get(f"/api/v1/track/{token}").json()
    assert public["rating"] == "satisfied" and public["rated_on_a_call"] is True


def test_script_typed_in_the_description_is_escaped_on_the_tracking_page(civic: Civic) -> None:
    _, token = file_without_js(civic, description="<script>alert('x')</script> 井盖缺失")
    page = civic.client.get(f"/track/{token}").text
    assert "<script>alert(" not in page
    assert html.escape("<script>alert('x')</script>") in page or "&lt;script&gt;alert(&#39;x&#39;)" in page


def test_a_wrong_tracking_link_is_a_404_that_offers_the_form_again(civic: Civic) -> None:
    def main(text: str) -> str:
        return text.split("<main", 1)[1].split("</main>", 1)[0]

    unknown = main(civic.client.get("/no/such/page").text)
    page = civic.client.get("/report/sent/not-a-real-token-at-all")
    assert page.status_code == 404 and main(page.text) == unknown
    # A mistyped link, or a case number tried as one (20261202020003): the same answer for both, which
    # tells nobody whether a case exists, with the form and the hint that a number alone does not open it.
    for path in ("/track/not-a-real-token-at-all", "/track/20261202020003", "/track/x"):
        page = civic.client.get(path)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert 'action="/track"' in page.text and "仅凭诉求编号无法查看诉求" in page.text
        assert "没有与此查询链接对应的诉求" in page.text
    rating = civic.client.post("/track/not-a-real-token-at-all/rating", data={"satisfaction": "satisfied"})
    assert rating.status_code == 404


def test_the_track_form_accepts_a_pasted_link_or_the_token_alone(civic: Civic) -> None:
    _, token = file_without_js(civic)
    for pasted in (
        f"http://testserver/track/{token}",
        f" {token} ",
        f"https://x.example/report/sent/{token}",
    ):
        answer = civic.client.get("/track", params={"link": pasted}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/track/{token}"
    bad = civic.client.get("/track", params={"link": "a b c"})
    assert bad.status_code == 422 and "这不是查询链接" in bad.text and 'value="a b c"' in bad.text
    assert "Track my request" in civic.client.get("/track?lang=en").text


def test_the_grids_in_a_box_are_a_fraction_of_the_map(civic: Civic) -> None:
    every = civic.client.get("/api/v1/areas/geojson", params={"level": "grid"}).json()["features"]
    some = civic.client.get(
        "/api/v1/areas/geojson", params={"level": "grid", "bbox": "116.602,35.402,116.603,35.403"}
    ).json()["features"]
    assert len(every) == 4 and [f["properties"]["code"] for f in some] == ["D111"]
    for bad in ("1,2,3", "116.7,35.4,116.6,35.5", "a,b,c,d", "nan,1,2,3"):
        answer = civic.client.get("/api/v1/areas/geojson", params={"level": "grid", "bbox": bad})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_bbox", bad
