"""Shared by the page scripts (screenshots, page weight): Debian's chromium under Playwright, signing in."""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The demo's accounts (civicgrid demo prints them); one per role the pages serve.
DEMO_PASSWORDS = {
    "operator": "demo-operator-2026",
    "supervisor": "demo-supervisor-2026",
    "leader": "demo-leader-2026",
    "admin": "demo-admin-2026",
    "worker": "demo-worker-2026",
    "handler": "demo-handler-2026",
}


def require_chromium() -> None:
    """Exit with the reason when the browser or its driver is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(
            f"{CHROMIUM} is missing: apt-get install -y chromium (or `make screenshots` as root)"
        )
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        raise SystemExit("Playwright's Python package is missing: make install") from exc


def launch(p: Any) -> Any:
    """Headless Debian chromium: no downloads, no background traffic."""
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(context: Any, base: str, user: str, password: str) -> None:
    """Sign ``context`` in through /login as a person would."""
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(lambda u: "/login" not in u)
    page.close()
