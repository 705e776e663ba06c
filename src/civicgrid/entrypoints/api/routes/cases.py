"""/api/v1/cases: file, list, read, and one POST per lifecycle action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from civicgrid.analytics.case_queries import list_cases
from civicgrid.domain.access import scope_of
from civicgrid.domain.case_types import Source
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api import schemas as s
from civicgrid.entrypoints.api.case_filters import CaseFiltersDep
from civicgrid.entrypoints.api.case_views import case_out, list_item
from civicgrid.entrypoints.api.deps import AppDep, CallerDep, StaffDep, limit_public
from civicgrid.entrypoints.api.routes.photos import require_photos
from civicgrid.services import workflow
from civicgrid.services.intake import ReportCase

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

# Which door a report came through, when the caller does not say: residents use the web page.
DEFAULT_SOURCE = {
    Role.OPERATOR: Source.HOTLINE,
    Role.SUPERVISOR: Source.HOTLINE,
    Role.GRID_WORKER: Source.PATROL,
}


@router.post("", status_code=201, response_model=s.CaseCreated)
async def create_case(
    body: s.CaseCreate,
    request: Request,
    app: AppDep,
    caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    """File a report: 201 only after a durable commit; a retry with the same Idempotency-Key is safe."""
    if caller.actor.role is Role.RESIDENT:
        limit_public(app, "reports", request)
    source = body.source or DEFAULT_SOURCE.get(caller.actor.role, Source.WEB)
    report = ReportCase(
        source=source,
        category_code=body.category_code,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        address=body.address,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        reporter_email=body.reporter_email,
        anonymous=body.anonymous,
        urgency=body.urgency,
        photos=require_photos(app, body.photos),
        attributes=dict(body.attributes),
    )
    scope = f"user:{caller.actor.id}" if caller.signed_in else f"client:{caller.client}"
    # Async: the report joins the process's group commit, answered once its batch is durable.
    receipt = await app.intake.submit(
        report=report,
        actor=caller.actor,
        now=app.clock(),
        idempotency=(scope, idempotency_key) if idempotency_key else None,
    )
    base = (app.settings.public_url or str(request.base_url)).rstrip("/")
    out = s.CaseCreated(
        id=receipt.id,
        number=receipt.number,
        status=receipt.status,
        tracking_token=receipt.tracking_token,
        # The page the reporter opens (a hotline sends it by SMS); GET /api/v1/track/{token} is its JSON.
        tracking_url=f"{base}/track/{receipt.tracking_token}" if receipt.tracking_token else None,
    )
    headers = {"Idempotent-Replayed": "true"} if receipt.replayed else {}
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers=headers)


@router.get("", response_model=s.CasePage)
def find_cases(
    app: AppDep,
    caller: CallerDep,
    filters: CaseFiltersDep,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> s.CasePage:
    """Cases the caller may see, filtered and paged (newest first)."""
    scope = scope_of(caller.actor) if caller.signed_in else None
    if scope is None or scope.nothing:
        return s.CasePage(items=[], total=0, page=page, page_size=page_size)
    now = app.clock()
    with app.engine.connect() as conn:
        result = list_cases(conn, scope=scope, filters=filters, now=now, page=page, page_size=page_size)
    return s.CasePage(
        items=[list_item(r, caller.actor, now) for r in result.rows],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/{number}", response_model=s.CaseOut)
def read_case(number: str, app: AppDep, caller: StaffDep) -> s.CaseOut:
    """One case with its full history (404 for a case the caller may not see)."""
    case = workflow.view_case(uow=app.reader, number=number, actor=caller.actor)
    return case_out(case, caller.actor, app.clock())


def _act(app: AppDep, caller: StaffDep, number: str, action: str, body: BaseModel) -> s.CaseOut:
    params = body.model_dump(exclude={"expected_version"})
    if "photos" in params:
        params["photos"] = require_photos(app, params["photos"])
    case = workflow.perform(
        uow=app.uow,
        deadlines=app.deadlines,
        number=number,
        action=action,
        actor=caller.actor,
        now=app.clock(),
        params=params,
        expected_version=getattr(body, "expected_version", None),
    )
    return case_out(case, caller.actor, app.clock())


def _action_route(action: str, body_type: type[BaseModel], summary: str) -> None:
    def endpoint(number: str, body: Any, app: AppDep, caller: StaffDep) -> s.CaseOut:
        return _act(app, caller, number, action, body)

    endpoint.__annotations__["body"] = body_type
    endpoint.__doc__ = summary
    endpoint.__name__ = f"case_{action}"
    router.add_api_route(
        f"/{{number}}/{action}",
        endpoint,
        methods=["POST"],
        response_model=s.CaseOut,
        summary=summary,
        name=f"case_{action}",
    )


# Each lifecycle action with the body it takes: the pages validate their forms with the same schemas.
ACTION_BODIES: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("register", s.RegisterBody, "Register the report as a case (立案), optionally in another category"),
    ("reject", s.ReasonBody, "Refuse to register (不予立案)"),
    ("merge", s.MergeBody, "Merge into an open duplicate"),
    ("dispatch", s.DispatchBody, "Dispatch to a department or utility and a grid worker (派遣)"),
    ("accept", s.NoteBody, "Accept the case (签收)"),
    ("return", s.ReasonBody, "Ask to return the case to the dispatcher (退单)"),
    ("decide", s.DecideBody, "Approve or deny a pending return, extension or suspension"),
    ("start", s.NoteBody, "Start the work (处置)"),
    ("report", s.ReportBody, "Report the result back (反馈)"),
    ("extend", s.ExtendBody, "Ask for an extension (延期)"),
    ("suspend", s.ReasonBody, "Ask to suspend the case (挂账)"),
    ("resume", s.NoteBody, "Resume a suspended case"),
    ("verify", s.VerifyBody, "Verify the result: close, or send back for rework (结案/返工)"),
    ("callback", s.CallbackBody, "Record the callback and rating (回访)"),
    ("reopen", s.ReasonBody, "Reopen after an unsatisfied callback (重办)"),
    ("escalate", s.EscalateBody, "Escalate up the grid chain (上报上级)"),
    ("supervise", s.SuperviseBody, "Issue a supervision order (督办)"),
    ("comment", s.CommentBody, "Add a note or photos"),
)
for _action, _body, _summary in ACTION_BODIES:
    _action_route(_action, _body, _summary)
