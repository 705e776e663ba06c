"""Script and HTML typed into the resident's and the operator's forms stay text on every page (issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from test_story import file_report

from pages import need

if TYPE_CHECKING:  # the fixture's type; conftest is not importable by name next to other conftests
    from conftest import Browsing

# Each sets window.__pwned if it ever runs; the dialogs would show in Browsing.dialogs.
SCRIPT = "<script>window.__pwned=1;alert('xss')</script>"
IMAGE = '<img src=x onerror="window.__pwned=1;alert(1)">'
HOSTILE = f"井盖缺失 {SCRIPT} {IMAGE}"


def inert(page: Any, where: str) -> None:
    """The hostile text shows as typed on the page, and nothing of it ran or became an element."""
    assert page.evaluate("window.__pwned") is None, f"script ran on {where}"
    body = page.locator("body").inner_text()
    assert SCRIPT in body and IMAGE in body, f"the text is not shown as typed on {where}"
    assert page.locator("img[src=x]").count() == 0, f"an <img> was made from the text on {where}"


def test_script_in_a_residents_report_is_shown_as_text_to_staff_and_the_resident(browsing: Browsing) -> None:
    need("/report", "/track/{token}", "/cases/{number}", "/cases")
    number, tracking = file_report(browsing, HOSTILE, with_photo=False)
    resident = browsing.page(phone=True)
    resident.goto(tracking)
    inert(resident, "the tracking page")
    operator = browsing.page("operator", lang="en")
    operator.goto(f"/cases/{number}")
    inert(operator, "the case page")
    operator.goto(f"/cases?q={number}")
    assert operator.locator(f"a:text-is('{number}')").count() >= 1
    assert operator.evaluate("window.__pwned") is None and operator.locator("img[src=x]").count() == 0
    assert browsing.dialogs.seen == []


def test_script_in_a_phone_intake_is_shown_as_text_on_the_case_and_in_the_queue(browsing: Browsing) -> None:
    need("/desk/intake", "/desk/queue", "/cases/{number}")
    operator = browsing.page("operator", lang="en")
    operator.goto("/desk/intake")
    operator.fill("#f-reporter_name", f"王{SCRIPT}")
    operator.fill("#f-reporter_phone", "13800001111")
    operator.fill("#f-category", "C0101")
    operator.fill("#f-description", HOSTILE)
    operator.fill("#f-address", f"东苑小区 {IMAGE}")
    operator.fill("#f-microgrid", "D1111")
    operator.locator("#file-case").click()
    operator.wait_for_selector("#filed")
    number = operator.locator("#filed .case-number").inner_text().strip()
    operator.goto(f"/cases/{number}")
    inert(operator, "the case page")
    operator.goto("/desk/queue")
    assert operator.locator(f"a:text-is('{number}')").count() >= 1
    assert operator.evaluate("window.__pwned") is None and operator.locator("img[src=x]").count() == 0
    assert browsing.dialogs.seen == []
