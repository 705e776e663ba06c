"""The shared page macros (templates/_macros.html), rendered on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from civicgrid.entrypoints.web.rendering import environment, span_parts
from civicgrid.i18n import translate


def macros(**context: Any) -> Any:
    values = {
        "_": lambda message, **kw: translate(message, "en", **kw),
        "local_time": lambda value: value.strftime("%m-%d %H:%M") if value else "—",
        "span_parts": span_parts,
        **context,
    }
    return environment().get_template("_macros.html").make_module(values)


def test_the_pager_links_the_neighbouring_pages_and_keeps_the_lists_own_query() -> None:
    html = str(macros().pager(2, 3, "/cases?status=dispatched"))
    assert 'href="/cases?status=dispatched&amp;page=1" rel="prev"' in html
    assert 'href="/cases?status=dispatched&amp;page=3" rel="next"' in html and "Page 2 of 3" in html


def test_a_second_list_on_a_page_pages_by_its_own_parameter() -> None:
    html = str(macros().pager(1, 2, "/supervisor/escalations?page=1", param="orders_page"))
    assert 'href="/supervisor/escalations?page=1&amp;orders_page=2" rel="next"' in html and "prev" not in html


def test_a_single_page_has_no_pager() -> None:
    assert str(macros().pager(1, 1, "/cases")).strip() == ""


DUE = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


def case(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(**({"due": DUE, "overdue": False, "warning": "none"} | kw))


def row(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(**({"late_by": None, "accept_late_by": None, "accept_due": None} | kw))


def badge(c: SimpleNamespace, r: SimpleNamespace | None = None) -> str:
    return " ".join(str(macros().deadline_badge(c, r)).split())


def test_a_case_alone_shows_its_deadline_as_a_moment() -> None:
    assert badge(case()).startswith('<span class="badge green"') and "due 11-03 01:00" in badge(case())
    assert "badge yellow" in badge(case(warning="yellow")) and "due soon · 11-03 01:00" in badge(
        case(warning="yellow")
    )
    assert "overdue · 11-03 01:00" in badge(case(overdue=True, warning="red"))
    assert "not accepted in time · due 11-03 01:00" in badge(case(warning="red"))
    assert badge(case(due=None)) == '<span class="badge grey">no time limit</span>'


def test_a_queue_row_says_how_late_with_the_deadline_below() -> None:
    late = badge(case(overdue=True, warning="red"), row(late_by=timedelta(days=1, hours=3)))
    assert (
        "badge red" in late and "overdue · 1 d 3 h" in late and 'class="muted small">due 11-03 01:00' in late
    )
    slow = badge(case(warning="red"), row(accept_late_by=timedelta(minutes=20), accept_due=DUE))
    assert "not accepted in time · 20 min" in slow
    waiting = badge(case(), row(accept_due=DUE - timedelta(hours=20)))
    assert '<span class="badge yellow">accept by 11-02 05:00</span>' in waiting


def test_in_a_queue_a_red_warning_without_a_late_signing_reads_due_soon() -> None:
    assert "due soon · 11-03 01:00" in badge(case(warning="red"), row())
