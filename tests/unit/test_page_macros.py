"""The shared page macros (templates/_macros.html), rendered on their own."""

from __future__ import annotations

from typing import Any

from civicgrid.entrypoints.web.rendering import environment
from civicgrid.i18n import translate


def macros(**context: Any) -> Any:
    values = {"_": lambda message, **kw: translate(message, "en", **kw), **context}
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
