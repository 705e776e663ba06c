"""Refusals on pages: a page in the reader's language with the same status as the API would give."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from civicgrid.entrypoints.web.rendering import render, safe_local_path

SIGN_IN_CODES = frozenset({"sign_in_required", "not_authenticated"})


def render_error(request: Request, status: int, code: str, message: str) -> Response:
    """An error page, or the sign-in page when the page needs a session the browser does not have."""
    if code in SIGN_IN_CODES:
        back = safe_local_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)
    return render(
        request, "error.html", {"status": status, "code": code, "message": message}, status_code=status
    )
