"""The pages in a headless browser: Debian's chromium, how it is launched, and who opens which page.

One copy for the page scripts in bench/ (screenshots, page weight, command centre) and the browser tests
in tests/browser/: both sign in with the demo's user names (the tests' tiny district reuses them). Only
Playwright's Python package drives the browser, and it is a dev extra: nothing here imports it.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Headless, and quiet: no downloads, no background traffic to measure by mistake.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Who opens which pages (the first prefix that matches); None is a visitor who is not signed in.
OPENERS: tuple[tuple[str, str | None], ...] = (
    ("/report", None),
    ("/track", None),
    ("/login", None),
    ("/field", "worker"),
    ("/dept", "handler"),
    ("/supervisor", "supervisor"),
    ("/command", "leader"),
    ("/admin", "admin"),
    ("/desk", "operator"),
    ("/cases", "operator"),
)


# GET routes that are no page to look at: the home redirect, sign-out, the language switch, files, exports.
NOT_PAGES = re.compile(r"^/$|^/logout$|^/lang$|^/exports/|/export$|/photos/|\.(csv|xlsx|json|geojson)$")


def page_paths() -> list[str]:
    """The GET page paths of this build, as declared (``/cases/{number}``), in menu order."""
    from civicgrid.entrypoints.web import PAGE_ROUTERS  # the web app, only when pages are asked for

    paths: list[str] = []
    for router in PAGE_ROUTERS:
        for route in router.routes:
            path = getattr(route, "path", "")
            if "GET" in getattr(route, "methods", set()) and not NOT_PAGES.search(path) and path not in paths:
                paths.append(path)
    return paths


def opener_of(path: str) -> str | None:
    """The user name that opens ``path`` (None: nobody signed in); the operator opens any other page."""
    return next((user for prefix, user in OPENERS if path.startswith(prefix)), "operator")


def why_no_browser() -> str | None:
    """Why the browser cannot be driven here (the driver or the browser is missing), or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright's Python package is missing: run `make install` (it is in the dev extras)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: `make browser` installs Debian's chromium when run as root"
    return None


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless, under a running ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
