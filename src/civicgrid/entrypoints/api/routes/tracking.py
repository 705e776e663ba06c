"""/api/v1/track/{token}: the reporter's secret tracking link and rating, no account needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from civicgrid.domain.case_types import Satisfaction
from civicgrid.entrypoints.api import schemas as s
from civicgrid.entrypoints.api.case_views import case_public
from civicgrid.entrypoints.api.deps import AppDep
from civicgrid.services import tracking

router = APIRouter(prefix="/api/v1/track", tags=["tracking"])
Token = Annotated[str, Path(min_length=8, max_length=100)]


@router.get("/{token}", response_model=s.CasePublic)
def track(token: Token, app: AppDep) -> s.CasePublic:
    """The public view of a case: its steps, never the reporter's name, phone or exact address."""
    return case_public(tracking.case_by_token(uow=app.reader, token=token))


@router.post("/{token}/rating", response_model=s.CasePublic)
def rate(token: Token, body: s.RatingBody, app: AppDep) -> s.CasePublic:
    """Rate the handling of a closed case: satisfied, basically satisfied or unsatisfied."""
    tracking.rate_by_token(
        uow=app.uow,
        token=token,
        satisfaction=Satisfaction(body.satisfaction),
        resolved=body.resolved,
        comment=body.comment,
        now=app.clock(),
    )
    return case_public(tracking.case_by_token(uow=app.reader, token=token))
