"""The whole life of a report in real headless Chromium, each step by the role that does it (issue 4)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

from pages import need, number_in, photo

if TYPE_CHECKING:  # the fixture's type; conftest is not importable by name next to other conftests
    from conftest import Browsing


def file_report(browsing: Browsing, description: str, *, with_photo: bool = True) -> tuple[str, str]:
    """A resident on a phone files a report on /report; the case number and the tracking path shown."""
    page = browsing.page(phone=True)
    page.goto("/report")
    # Sent before a kind is chosen, the page says so (and the browser's check of a hidden field does not
    # silently swallow the tap).
    page.fill("#f-description", description)
    page.locator("#send").click()
    expect(page.locator("#form-error")).to_have_text("请先选择问题类型。")
    page.fill("#cat-q", "井盖")
    page.locator("#cat-o-C0101").click()
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#f-lon")).not_to_have_value("")  # the point is on the map
    if with_photo:
        page.set_input_files("#f-photos", [photo()])
        page.wait_for_selector("#photo-list li")
    page.check("#f-anonymous")
    page.locator("#send").click()
    page.wait_for_url(re.compile(r"/report/sent/"))
    number = page.locator("#case-number").inner_text().strip()
    tracking = page.locator("#tracking-link").get_attribute("href") or ""
    assert number and tracking.startswith("/track/")
    assert page.locator("#tracking-url").input_value().endswith(tracking)
    return number, tracking


def figures(browsing: Browsing) -> dict[str, int]:
    """The command centre's counts as a leader sees them on /command."""
    page = browsing.page("leader", lang="en")
    page.goto("/command")
    page.wait_for_selector("#cc[data-ready-ms]")
    return {
        key: number_in(page.locator(f"#cc-kpis [data-figure={key}] .value").inner_text())
        for key in ("submitted", "open")
    }


def act(page: Any, number: str) -> None:
    page.goto(f"/cases/{number}")
    page.wait_for_selector("#actions-title")


def test_a_report_goes_from_the_resident_to_closed_and_rated_and_the_figures_follow(
    browsing: Browsing,
) -> None:
    need("/report", "/report/sent/{token}", "/track/{token}", "/cases/{number}", "/field/tasks", "/command")
    before = figures(browsing)

    # 1. A resident files a report with a photo and gets the number and the tracking link.
    number, tracking = file_report(browsing, "东苑小区3号楼下井盖缺失，晚上很危险")

    # 2. The operator registers it, then dispatches it with the suggestion shown.
    operator = browsing.page("operator", lang="en")
    act(operator, number)
    operator.get_by_role("button", name="Register").click()
    operator.wait_for_selector(".flash, [role=status]")
    act(operator, number)
    assert operator.locator("#suggestion").is_visible(), "the dispatch suggestion is shown"
    operator.get_by_label("Department or unit").select_option("chengguan")
    operator.get_by_label("Grid worker").select_option("F0001")
    operator.locator("#form-dispatch").get_by_role("button", name="Dispatch").click()
    operator.wait_for_load_state()
    assert operator.locator("#case-badges .badge.status-dispatched").count() == 1

    # 3. The grid worker accepts and starts it on /field/tasks, then reports back with a photo.
    worker = browsing.page("worker", phone=True)
    worker.goto("/field/tasks")
    task = f"article.task:has(a.case-number:text-is('{number}'))"
    worker.locator(f"#to_accept {task}").get_by_role("button", name="签收").click()
    worker.locator(f"#to_start {task}").get_by_role("button", name="开始处置").click()
    worker.locator(f"#to_report {task} a.btn.primary").click()
    worker.wait_for_url(f"**/cases/{number}")
    worker.fill("#f-report-note", "已补装井盖，现场已清理")
    worker.set_input_files("#f-report-photos", [photo((30, 160, 60))])
    worker.locator("#form-report button[type=submit]").click()
    worker.wait_for_load_state()

    # 4. The supervisor verifies the work and closes the case.
    supervisor = browsing.page("supervisor", lang="en")
    act(supervisor, number)
    assert supervisor.locator("img[src*='/photos/'], a[href*='/photos/']").count() >= 2
    supervisor.get_by_role("button", name="Close the case").click()
    supervisor.wait_for_load_state()
    act(supervisor, number)
    assert supervisor.locator("#case-badges .badge.status-closed").count() == 1

    # 5. The resident opens the tracking link and rates the handling.
    resident = browsing.page(phone=True)
    resident.goto(tracking)
    assert resident.locator("#case-title").inner_text().endswith(number)
    resident.get_by_label("满意", exact=True).check()
    resident.get_by_label("意见（选填）").fill("修得挺快")
    resident.locator("#rating form button[type=submit]").click()
    resident.wait_for_selector("#rating-given")

    # 6. The operator calls back. The resident's rating is the case's callback record (one per case), so
    # the operator finds it recorded in the history and no second callback is offered.
    act(operator, number)
    assert operator.locator("#history .badge, #history li").count() >= 8
    assert operator.locator("#form-callback").count() == 0
    assert "满意" in resident.locator("#rating-given").inner_text()

    # 7. The command centre counts one more submitted case and no more open ones.
    after = figures(browsing)
    assert after["submitted"] == before["submitted"] + 1
    assert after["open"] == before["open"]
    assert browsing.dialogs.seen == []


def test_a_field_the_server_refuses_says_why_under_it_and_the_corrected_report_goes_through(
    browsing: Browsing,
) -> None:
    need("/report")
    page = browsing.page(phone=True)
    page.goto("/report")
    page.fill("#cat-q", "井盖")
    page.locator("#cat-o-C0101").click()
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#f-lon")).not_to_have_value("")
    page.check("#f-anonymous")
    # Past the box's own limit (a pasted text with the limit taken off): the server's words, under the box.
    page.evaluate("document.querySelector('#f-description').removeAttribute('maxlength')")
    page.fill("#f-description", "井盖缺失" * 1500)
    page.locator("#send").click()
    said = page.locator("#f-description").locator("xpath=ancestor::div[contains(@class,'field')][1]")
    expect(said.locator(".field-error.from-server")).to_have_text("文本过长。")
    page.fill("#f-description", "东苑小区井盖缺失")
    page.locator("#send").click()
    page.wait_for_url(re.compile(r"/report/sent/"))
