"""Every page opens in Chromium for a role that may see it, with no script error and no CSP violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from civicgrid.demo.browser import opener_of, page_paths

if TYPE_CHECKING:  # the fixture's type; conftest is not importable by name next to other conftests
    from conftest import Browsing


def plain_pages() -> list[str]:
    return sorted(p for p in page_paths() if "{" not in p)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_draws_without_a_script_error(browsing: Browsing, lang: str) -> None:
    troubles: list[str] = []
    pages: dict[str | None, object] = {}
    for path in plain_pages():
        role = opener_of(path)
        if role not in pages:
            page = browsing.page(role, lang=lang)
            page.on("pageerror", lambda e, page=page: troubles.append(f"{page.url}: {e}"))
            page.on(
                "console",
                lambda m, page=page: troubles.append(f"{page.url}: {m.text}") if m.type == "error" else None,
            )
            pages[role] = page
        page = pages[role]
        answer = page.goto(path, wait_until="networkidle")  # type: ignore[attr-defined]
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        assert page.locator("html").get_attribute("lang") == lang  # type: ignore[attr-defined]
    assert troubles == []
    assert browsing.dialogs.seen == []
