"""Shared by the page scripts (screenshots, page weight, command centre): a browser or the reason, signing in.

Chromium's path and flags and who opens which page are in ``civicgrid.demo.browser``, which the browser
tests read too.
"""

from __future__ import annotations

from typing import Any

from civicgrid.demo.accounts import demo_password
from civicgrid.demo.browser import why_no_browser


def require_chromium() -> None:
    """Exit with the reason when the browser or its driver is missing."""
    if reason := why_no_browser():
        raise SystemExit(reason)


def sign_in(context: Any, base: str, user: str) -> None:
    """Sign ``context`` in through /login as the demo account ``user``, as a person would."""
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", demo_password(user))
    page.press("#password", "Enter")
    page.wait_for_url(lambda u: "/login" not in u)
    page.close()
