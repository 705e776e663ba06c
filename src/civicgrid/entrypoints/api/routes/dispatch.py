"""/api/v1/duplicates (public: before a resident submits) and a case's dispatch suggestion (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from civicgrid.adapters.db.dispatch_control_repository import StoredSuggestion
from civicgrid.domain.access import scope_of
from civicgrid.domain.case_types import mask_contact_details
from civicgrid.domain.dispatch import Suggestion
from civicgrid.domain.roles import Role
from civicgrid.entrypoints.api.deps import AppDep, NotPermittedHere, StaffDep
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.i18n import translate
from civicgrid.services import dispatch, dispatch_settings, duplicates, suggestions, workflow

router = APIRouter(prefix="/api/v1", tags=["dispatch"])

PUBLIC_EXCERPT = 60
DESK = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.LEADER})


class DuplicatePublic(BaseModel):
    """An open case that may be the same problem: no name, phone or exact location of anybody."""

    number: str
    category_code: str
    distance_m: int
    days: float
    status: str
    description: str


class DuplicateStaff(DuplicatePublic):
    similarity: float
    score: float


class Alternative(BaseModel):
    category_code: str
    probability: float


class TakenOut(BaseModel):
    category: bool
    org: bool | None
    assignee: bool | None


class SuggestionOut(BaseModel):
    """Proposed category, organisation and worker; ``org_code`` null: the street's command sub-centre."""

    category_code: str
    org_code: str | None
    assignee_code: str | None
    confidence: float | None
    alternatives: list[Alternative]
    reasons: list[str]
    auto_dispatch: bool
    model_version: int | None
    stored: bool = Field(False, description="Made when the report was stored (false: computed now).")
    created_at: datetime | None = None
    auto_dispatched: bool = Field(False, description="The system registered and dispatched it as suggested.")
    decided_at: datetime | None = Field(None, description="When the case was first dispatched.")
    taken: TakenOut | None = Field(None, description="What of the suggestion that dispatch kept.")


def public_excerpt(text: str, length: int = PUBLIC_EXCERPT) -> str:
    """The first ``length`` characters of a description with phone numbers and e-mail addresses hidden."""
    hidden = mask_contact_details(" ".join(text.split()))
    return hidden if len(hidden) <= length else hidden[: length - 1] + "…"


@router.get("/duplicates", response_model=list[DuplicatePublic])
def find_duplicates(
    app: AppDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    category: Annotated[str, Query(max_length=32)],
    text: Annotated[str, Query(max_length=4000)] = "",
) -> list[DuplicatePublic]:
    """Open cases nearby that may be the same problem (public: shown before a report is submitted).

    Open cases of the same category or one of its 大类 within the category's radius (default 250 m) and
    time window (default 30 days; both per category: ``PUT /api/v1/dispatch/settings/{category}``) whose
    place, recency and words score as a duplicate; at most five, best first. No name, phone or exact
    location of anybody: the description is a 60-character excerpt with contact details masked.
    """
    found = duplicates.find_duplicates(
        uow=app.reader,
        lon=lon,
        lat=lat,
        category_code=category,
        description=text,
        now=app.clock(),
        policy=dispatch_settings.effective_policy(uow=app.reader, base=duplicates.DEFAULT_POLICY),
    )
    return [
        DuplicatePublic(
            number=c.number,
            category_code=c.category_code,
            distance_m=round(c.distance_m),
            days=round(c.days, 1),
            status=c.status,
            description=public_excerpt(c.description),
        )
        for c in found
    ]


@router.get("/cases/{number}/duplicates", response_model=list[DuplicateStaff])
def case_duplicates(number: str, app: AppDep, caller: StaffDep) -> list[DuplicateStaff]:
    """Open cases that may duplicate this one (desk staff), best first."""
    if caller.actor.role not in DESK:
        raise NotPermittedHere()
    case = workflow.view_case(uow=app.reader, number=number, actor=caller.actor)
    found = duplicates.find_duplicates(
        uow=app.reader,
        lon=case.location.lon,
        lat=case.location.lat,
        category_code=case.category_code,
        description=case.description,
        now=case.submitted_at,
        exclude_id=case.id,
        policy=dispatch_settings.effective_policy(uow=app.reader, base=duplicates.DEFAULT_POLICY),
        scope=scope_of(caller.actor),
    )
    return [
        DuplicateStaff(
            number=c.number,
            category_code=c.category_code,
            distance_m=round(c.distance_m),
            days=round(c.days, 1),
            status=c.status,
            description=c.description,
            similarity=c.similarity,
            score=c.score,
        )
        for c in found
    ]


@router.get("/cases/{number}/suggestion", response_model=SuggestionOut)
def case_suggestion(number: str, request: Request, app: AppDep, caller: StaffDep) -> SuggestionOut:
    """The suggestion stored when the case was filed (else made now), with confidence and reasons (desk)."""
    if caller.actor.role not in DESK:
        raise NotPermittedHere()
    stored = suggestions.stored_for_case(uow=app.reader, number=number, actor=caller.actor)
    if stored is not None:
        return suggestion_out(stored.suggestion, request, stored)
    found = dispatch.suggest_for_case(
        uow=app.reader,
        classifier=dispatch.current_classifier(app.reader, cache=app.models),
        number=number,
        actor=caller.actor,
    )
    return suggestion_out(found, request, None)


def suggestion_out(found: Suggestion, request: Request, stored: StoredSuggestion | None) -> SuggestionOut:
    """The JSON form of a suggestion, its reasons in the caller's language."""
    locale = request_locale(request)
    taken = stored.taken if stored is not None else None
    return SuggestionOut(
        category_code=found.category_code,
        org_code=found.org_code,
        assignee_code=found.assignee_code,
        confidence=found.confidence,
        alternatives=[Alternative(category_code=c, probability=p) for c, p in found.alternatives],
        reasons=[translate(r.message, locale, **r.params) for r in found.reasons],
        auto_dispatch=found.auto_dispatch,
        model_version=found.model_version,
        stored=stored is not None,
        created_at=stored.created_at if stored else None,
        auto_dispatched=stored.auto_dispatched if stored else False,
        decided_at=stored.decided_at if stored else None,
        taken=TakenOut(category=taken.category, org=taken.org, assignee=taken.assignee) if taken else None,
    )
