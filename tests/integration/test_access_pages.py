"""Who may open which page and export: every GET page route of the app, for every role and a stranger.

Routes are discovered from the application, so a new page is covered the day it is added: a page no rule
below names fails the test until its audience is declared here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from civicgrid.entrypoints.web import PAGE_ROUTERS
from civicgrid.entrypoints.web.access import is_page
from conftest import ACCOUNTS, Civic

STAFF = {"worker", "worker2", "handler", "handler2", "operator", "supervisor", "leader", "admin"}
EVERYONE = {*STAFF, "resident", None}

# (path prefix, who may open it); the longest matching prefix decides.
RULES: list[tuple[str, set[str | None]]] = [
    ("/", EVERYONE),
    ("/login", EVERYONE),
    ("/lang", EVERYONE),
    ("/report", EVERYONE),
    ("/track", EVERYONE),
    ("/cases", STAFF - {"admin"}),  # administrators keep the system, not case files
    ("/desk", {"operator", "supervisor"}),
    ("/field", {"worker", "worker2"}),
    ("/dept", {"handler", "handler2"}),
    ("/supervisor", {"supervisor"}),
    ("/command", {"operator", "supervisor", "leader"}),
    ("/admin", {"admin"}),
    ("/exports", STAFF),
    ("/exports/users.", {"admin"}),
    ("/exports/apikeys.", {"admin"}),
    ("/exports/audit.", {"admin"}),
]
SAMPLE_PARAMS = {"fmt": "csv"}


def audience(path: str) -> set[str | None]:
    matches = [
        (prefix, who)
        for prefix, who in RULES
        if path == prefix
        or path.startswith(prefix.rstrip("/") + ("/" if not prefix.endswith(".") else ""))
        or (prefix.endswith(".") and path.startswith(prefix))
    ]
    assert matches, f"{path}: no rule says who may open it (add one to RULES)"
    return max(matches, key=lambda m: len(m[0]))[1]


def page_paths(civic: Civic) -> list[str]:
    """Every GET page route (of every router the pages install) whose path parameters have a sample value."""
    paths = []
    for route in (r for router in PAGE_ROUTERS for r in router.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods or not is_page(route.path):
            continue
        params = re.findall(r"{(\w+)}", route.path)
        if all(p in SAMPLE_PARAMS for p in params):
            paths.append(route.path.format(**SAMPLE_PARAMS))
    return sorted(set(paths))


def test_the_matrix_covers_the_pages_that_exist(civic: Civic) -> None:
    paths = page_paths(civic)
    assert "/admin/users" in paths and "/exports/cases.csv" in paths
    for path in paths:
        audience(path)


@pytest.mark.parametrize("who", [None, *sorted(ACCOUNTS)])
def test_each_role_opens_exactly_its_pages(civic: Civic, who: str | None) -> None:
    headers = civic.as_(who) if who else {}
    for path in page_paths(civic):
        answer = civic.client.get(path, headers=headers, follow_redirects=False)
        allowed = who in audience(path)
        to_login = answer.status_code == 303 and answer.headers["location"].startswith("/login")
        if allowed:
            assert answer.status_code in (200, 303) and not (to_login and who is not None), (who, path)
            assert answer.status_code != 403, (who, path)
        elif who is None:
            assert to_login, (path, answer.status_code)
        else:
            assert answer.status_code == 403, (who, path, answer.status_code)
