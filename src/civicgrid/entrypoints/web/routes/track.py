"""The resident's tracking pages: /track (enter a link), /track/{token} (public history, rating once closed).

A token nobody holds answers exactly like an unknown page (404): the page tells nothing about it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from civicgrid.domain.case_types import Action, Satisfaction
from civicgrid.domain.cases import Case
from civicgrid.domain.errors import N_, DomainError, InvalidInput, NotFound
from civicgrid.entrypoints.api.case_views import case_public
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.entrypoints.web.access import PageCaller
from civicgrid.entrypoints.web.rendering import redirect, refusal, render
from civicgrid.entrypoints.web.report_form import page_categories, page_locale
from civicgrid.i18n import translate
from civicgrid.services import tracking

router = APIRouter(include_in_schema=False)

# The token is the last part of a tracking link (/track/TOKEN, /report/sent/TOKEN, /api/v1/track/TOKEN).
_TOKEN = re.compile(r"(?:^|/)([A-Za-z0-9_-]{8,100})/?(?:[?#].*)?$")
SATISFACTIONS = tuple(s.value for s in Satisfaction)
NOT_A_LINK = N_("That is not a tracking link. Paste the whole link you were given.")
NO_SUCH_LINK = N_("No report has this tracking link. Check that you pasted all of it.")


class RatingMissing(InvalidInput):
    code = "rating_missing"
    message = N_("Choose how satisfied you are: satisfied, basically satisfied or unsatisfied.")


def token_in(text: str) -> str | None:
    """The tracking token in what a resident pasted: the whole link or the token alone."""
    found = _TOKEN.search(text.strip())
    return found.group(1) if found else None


@router.get("/track")
def track_start(request: Request, caller: PageCaller, link: str = "") -> Response:
    """Enter a tracking link or token; a recognisable one goes straight to its page."""
    if link.strip():
        token = token_in(link[:500])
        if token is not None:
            return redirect(f"/track/{token}")
        message = translate(NOT_A_LINK, page_locale(request))
        return render(request, "track_start.html", {"link": link[:500], "message": message}, status_code=422)
    return render(request, "track_start.html", {"link": "", "message": None})


@router.get("/track/{token}")
def track_case(token: str, request: Request, app: AppDep, caller: PageCaller) -> Response:
    """A case's public history and status in plain words; the rating form once it is closed."""
    return _page(request, app, token, {})


@router.post("/track/{token}/rating")
def rate_case(
    token: str,
    request: Request,
    app: AppDep,
    caller: PageCaller,
    satisfaction: Annotated[str, Form(max_length=32)] = "",
    resolved: Annotated[str, Form(max_length=8)] = "yes",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the resident's rating (once, on a closed case) and show the case again with thanks."""
    typed = {"satisfaction": satisfaction, "resolved": resolved, "comment": comment}
    try:
        if satisfaction not in SATISFACTIONS:
            raise RatingMissing()
        tracking.rate_by_token(
            uow=app.uow,
            token=token,
            satisfaction=Satisfaction(satisfaction),
            resolved=resolved != "no",
            comment=comment.strip(),
            now=app.clock(),
        )
    except NotFound:
        raise HTTPException(404) from None
    except DomainError as exc:
        message, _fields, status = refusal(request, exc)
        return _page(request, app, token, {"message": message, "typed": typed}, status_code=status)
    return redirect(f"/track/{token}", flash=N_("Thank you for your rating."))


def _page(
    request: Request, app: AppDep, token: str, extra: dict[str, Any], status_code: int = 200
) -> Response:
    try:
        tracked = tracking.case_by_token(uow=app.reader, token=token)
    except NotFound:  # a mistyped link, or a case number tried as one: the form again, saying so
        message = translate(NO_SUCH_LINK, page_locale(request))
        return render(request, "track_start.html", {"link": token[:500], "message": message}, status_code=404)
    case = tracked.case  # a merged report follows the case it was merged into
    locale = page_locale(request)
    names = {c.code: c.name for c in page_categories(app, locale)}
    context: dict[str, Any] = {
        "token": token,
        "public": case_public(tracked),
        "category_name": names.get(case.category_code, case.category_code),
        "plain_status": plain_status(case),
        "steps": PUBLIC_STEPS,
        "status_word": STATUS_WORDS.get(case.status.value, case.status.value),
        "overdue": case.is_overdue(app.clock()),
        **_photos(case),
        "typed": {"satisfaction": "", "resolved": "yes", "comment": ""},
        "message": None,
    }
    context.update(extra)
    return render(request, "track.html", context, status_code=status_code)


def _photos(case: Case) -> dict[str, list[list[str]]]:
    """The case's photos as URL parts: the resident's own, sent with the report (``photos``, shown under
    what they reported), and the unit's, sent with a later step (``result_photos``)."""
    with_report = {p for e in case.history() if e.action is Action.SUBMIT for p in e.attachments}
    shown: dict[str, list[list[str]]] = {"photos": [], "result_photos": []}
    for name in case.photos:
        if "/" in name:
            shown["photos" if name in with_report else "result_photos"].append(name.split("/", 1))
    return shown


def plain_status(case: Case) -> str:
    """Where the case stands, in words a resident understands (a message id)."""
    status = case.status.value
    if status == "closed":
        return (
            N_("Finished. Please tell us below how it was handled.")
            if _resolved(case)
            else N_("Not taken on as a case. The reason is in the history below.")
        )
    return PLAIN_STATUS.get(status, status)


def _resolved(case: Case) -> bool:
    return case.outcome is not None and case.outcome.value == "resolved"


PLAIN_STATUS = {
    "submitted": N_("Received. An operator will read it and register it as a case."),
    "registered": N_("Registered as a case. It is being sent to the unit responsible."),
    "dispatched": N_("Sent to the unit responsible, which will take it on shortly."),
    "accepted": N_("The unit responsible has taken it on."),
    "in_progress": N_("Being handled by the unit responsible."),
    "suspended": N_("On hold for now (for example waiting for another authority); the time limit is paused."),
    "handled": N_("The unit reports the work is done; the command centre is checking the result."),
    "evaluated": N_("Finished, and rated. Thank you."),
    "merged": N_(
        "The same problem had already been reported, so your report was joined to that case "
        "and is handled with it."
    ),
}

# The public history's steps in a resident's words (staff pages show the action codes' labels).
PUBLIC_STEPS = {
    "submit": N_("Reported"),
    "register": N_("Registered as a case"),
    "reject": N_("Not taken on as a case"),
    "merge": N_("Joined to an earlier report of the same problem"),
    "dispatch": N_("Sent to the unit responsible"),
    "accept": N_("Taken on by the unit"),
    "start": N_("Work started"),
    "report": N_("Work reported done"),
    "verify": N_("Checked and closed"),
    "rework": N_("Sent back for more work"),
    "callback": N_("Rated"),
    "reopen": N_("Reopened to be handled again"),
}

# A status in one or two words a resident understands (the badge; the sentence above says more).
STATUS_WORDS = {
    "submitted": N_("Request received"),
    "registered": N_("Registered"),
    "dispatched": N_("Sent to the unit"),
    "accepted": N_("Taken on"),
    "in_progress": N_("Being handled"),
    "suspended": N_("On hold"),
    "handled": N_("Being checked"),
    "closed": N_("Finished"),
    "evaluated": N_("Finished and rated"),
    "merged": N_("Joined to another report"),
}
