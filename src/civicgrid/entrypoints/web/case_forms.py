"""The case page's action forms turned into the JSON API's action bodies, checked by the same schemas.

A browser sends strings: check boxes are present or absent, a ``datetime-local`` field has no zone (it is
the district's local time), photos arrive as files and are stored through the photo service first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.entrypoints.api.errors import _validation_message
from civicgrid.entrypoints.api.routes.cases import ACTION_BODIES
from civicgrid.i18n import translate

BODIES: dict[str, type[BaseModel]] = {action: body for action, body, _ in ACTION_BODIES}
CHECKBOXES = {"callback": ("valid", "contacted", "resolved")}
LOCAL_TIMES = {"extend": "new_due", "supervise": "respond_by"}
LISTS = {"escalate": "summon"}
WITH_PHOTOS = frozenset({"report", "comment"})


class InvalidForm(InvalidInput):
    """A form field the action's schema refuses; ``fields`` maps each field to its message id."""

    code = "invalid_request"
    message = N_("The request has invalid fields.")

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__()
        self.fields = fields


def typed_values(action: str, form: FormData) -> dict[str, str]:
    """What the person typed (text fields only), to fill the form again after a refusal."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def photo_files(form: FormData) -> list[UploadFile]:
    """The non-empty files of the form's ``photos`` field (a browser sends an empty part for 'none')."""
    return [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]


def parse(
    action: str, form: FormData, *, timezone: str, photos: list[str]
) -> tuple[dict[str, Any], int | None]:
    """The action's parameters and the expected version, validated like the JSON API's body."""
    body_type = BODIES[action]
    wanted = set(body_type.model_fields)
    raw: dict[str, Any] = {}
    for name in wanted:
        if name in CHECKBOXES.get(action, ()):
            raw[name] = name in form
        elif name == LISTS.get(action):
            raw[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
        elif name == "photos":
            raw[name] = photos
        elif isinstance(value := form.get(name), str) and (value != "" or name in ("note", "reason")):
            raw[name] = _local(value, timezone) if name == LOCAL_TIMES.get(action) else value
    if raw.get("satisfaction") == "":
        raw["satisfaction"] = None
    try:
        body = body_type.model_validate(raw)
    except ValidationError as exc:
        fields = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ())[:1]) or "form"
            fields[loc] = _validation_message(str(err.get("type", "")))
        raise InvalidForm(fields) from None
    params = body.model_dump(exclude={"expected_version"})
    return params, getattr(body, "expected_version", None)


def field_messages(exc: InvalidForm, locale: str) -> dict[str, str]:
    """The field messages of a refused form in the reader's language."""
    return {name: translate(message, locale) for name, message in exc.fields.items()}


def _local(value: str, timezone: str) -> Any:
    # '2026-11-20T17:30' from a datetime-local field means the district's clock; text with a zone is kept.
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the schema refuses it with its own message
    return moment.replace(tzinfo=ZoneInfo(timezone)) if moment.tzinfo is None else moment
