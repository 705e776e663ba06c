"""Pydantic schemas at the HTTP edge only; domain objects and table rows never leave through here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from civicgrid.domain.case_types import Source
from civicgrid.domain.catalogue import Urgency

Text = Annotated[str, Field(max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Note = Annotated[str, Field(default="", max_length=2000)]
PhotoNames = Annotated[list[Annotated[str, Field(max_length=120)]], Field(default_factory=list, max_length=3)]


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    """Unknown fields are refused, so a typo is an error rather than silently ignored; so is text with NUL."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No field has a use for a NUL character, and PostgreSQL can neither store nor compare text with one.
        if _has_nul(value):
            raise ValueError("NUL character")
        return value


class CaseCreate(Strict):
    """A new report."""

    category_code: Annotated[str, Field(min_length=1, max_length=32, examples=["C0101"])]
    description: Annotated[str, Field(min_length=1, max_length=4000, examples=["东苑小区3号楼下井盖缺失"])]
    lon: Annotated[float | None, Field(ge=-180, le=180, examples=[116.6])] = None
    lat: Annotated[float | None, Field(ge=-90, le=90, examples=[35.4])] = None
    address: Annotated[str, Field(max_length=500)] = ""
    reporter_name: Annotated[str | None, Field(max_length=100)] = None
    reporter_phone: Annotated[str | None, Field(max_length=32)] = None
    reporter_email: Annotated[str | None, Field(max_length=200)] = None
    anonymous: bool = False
    urgency: Urgency | None = None
    source: Source | None = None
    photos: PhotoNames
    attributes: Annotated[dict[str, str | list[str]], Field(default_factory=dict, max_length=50)]


class CaseCreated(BaseModel):
    """The acknowledgement of a report: sent only once it is durably stored."""

    id: int
    number: str
    status: str
    tracking_token: str | None = Field(None, description="Secret: the tracking link's key. Shown once.")
    tracking_url: str | None = Field(
        None, description="The tracking page to give the reporter; its JSON is GET /api/v1/track/{token}."
    )


class ReporterOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    anonymous: bool
    masked: bool


class EventOut(BaseModel):
    seq: int
    action: str
    at: datetime
    actor_role: str
    actor_name: str
    from_status: str | None
    to_status: str
    note: str
    data: dict[str, Any]
    attachments: list[str]


class AreaRefOut(BaseModel):
    microgrid: str
    grid: str
    community: str
    street: str


class CaseOut(BaseModel):
    """A case as staff see it (the reporter masked unless the role needs the contact)."""

    id: int
    number: str
    version: int
    status: str
    source: str
    category_code: str
    urgency: str
    description: str
    lon: float
    lat: float
    address: str
    areas: AreaRefOut
    reporter: ReporterOut
    org_code: str | None
    assignee_code: str | None
    time_limit: str | None
    submitted_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    accept_due: datetime | None
    due: datetime | None
    due_provisional: bool
    overdue: bool
    warning: str
    escalation: str
    outcome: str | None
    merged_into: int | None
    pending: dict[str, Any] | None
    satisfaction: str | None
    photos: list[str]
    attributes: dict[str, Any]
    counts: dict[str, int]
    history: list[EventOut]


class CaseListItem(BaseModel):
    number: str
    version: int
    status: str
    source: str
    category_code: str
    urgency: str
    description: str
    address: str
    lon: float
    lat: float
    street_code: str
    community_code: str
    grid_code: str
    microgrid_code: str
    org_code: str | None
    assignee_code: str | None
    reporter_name: str | None
    reporter_phone: str | None
    submitted_at: datetime
    due: datetime | None
    overdue: bool
    warning: str
    pending: str | None


class CasePage(BaseModel):
    items: list[CaseListItem]
    total: int
    page: int
    page_size: int


class PublicEvent(BaseModel):
    at: datetime
    action: str
    to_status: str
    note: str


class CasePublic(BaseModel):
    """What the reporter's tracking link shows: no personal data, no internal notes of staff."""

    number: str
    status: str
    category_code: str
    description: str
    area: str
    submitted_at: datetime
    due: datetime | None
    closed_at: datetime | None
    can_rate: bool
    rating: str | None
    rated_on_a_call: bool = Field(
        False, description="The rating was given on the staff's callback call, not through this link."
    )
    history: list[PublicEvent]
    merged_from: str | None = Field(
        None, description="The reporter's own case number when it was merged into the case shown."
    )


# ----------------------------------------------------------------- lifecycle action bodies
class Versioned(Strict):
    expected_version: Annotated[
        int | None, Field(ge=0, description="The version you saw; 409 if it changed.")
    ] = None


class NoteBody(Versioned):
    note: Note


class ReasonBody(Versioned):
    reason: Reason


class MergeBody(Versioned):
    into: Annotated[str, Field(min_length=1, max_length=32, description="Number of the surviving case.")]
    note: Note


class RegisterBody(Versioned):
    note: Note
    category_code: Annotated[
        str | None,
        Field(max_length=32, description="Correct the reporter's category (小类) while registering."),
    ] = None


class DispatchBody(Versioned):
    org_code: Annotated[str, Field(min_length=1, max_length=32)]
    assignee_code: Annotated[str | None, Field(max_length=32)] = None
    note: Note


class DecideBody(Versioned):
    approve: bool
    note: Note


class ReportBody(Versioned):
    note: Reason
    photos: PhotoNames


class ExtendBody(Versioned):
    new_due: AwareDatetime
    reason: Reason


class VerifyBody(Versioned):
    ok: bool
    note: Note


class CallbackBody(Versioned):
    valid: bool = True
    contacted: bool = False
    resolved: bool = False
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"] | None = None
    comment: Note


class EscalateBody(Versioned):
    reason: Reason
    summon: Annotated[list[Annotated[str, Field(max_length=32)]], Field(default_factory=list, max_length=21)]


class SuperviseBody(Versioned):
    note: Reason
    respond_by: AwareDatetime


class CommentBody(Versioned):
    note: Note
    photos: PhotoNames


class RatingBody(Strict):
    """The resident's own rating through the tracking link."""

    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    resolved: bool = True
    comment: Note


class TokenRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    name: Annotated[str, Field(max_length=100)] = "api"


class SessionRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None


class FieldErrorOut(BaseModel):
    field: str
    code: str
    message: str


class ErrorDetailOut(BaseModel):
    """A machine code, a message in the caller's language and the fields at fault; some codes add context."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(BaseModel):
    """Every refusal (4xx) of the JSON API."""

    error: ErrorDetailOut
