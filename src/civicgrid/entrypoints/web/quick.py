"""The quick actions the queues offer in place (register, accept, start): the API's workflow service."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from civicgrid.bootstrap import App
from civicgrid.domain.cases import Case
from civicgrid.entrypoints.api.deps import Caller
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.services import workflow

QUICK_ACTIONS = frozenset({"register", "accept", "start"})


def quick_action(
    app: App,
    caller: Caller,
    number: str,
    action: str,
    version: int | None,
    params: dict[str, Any] | None = None,
) -> Case:
    """One lifecycle step on ``number`` through ``workflow.perform``, refused on a stale ``version``."""
    return workflow.perform(
        uow=app.uow,
        deadlines=app.deadlines,
        number=number,
        action=action,
        actor=caller.actor,
        now=app.clock(),
        params=params if params is not None else {"note": ""},
        expected_version=version,
    )


def locale_of(request: Request) -> str:
    """The page's language (set by the middleware, else from the request)."""
    return getattr(request.state, "locale", None) or request_locale(request)
