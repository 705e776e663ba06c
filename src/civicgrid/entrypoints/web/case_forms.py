"""The case page's action forms turned into the JSON API's action bodies, checked by the same schemas.

A browser sends strings: check boxes are present or absent, a ``datetime-local`` field has no zone (it is
the district's local time), photos arrive as files and are stored through the photo service first.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from civicgrid.domain.errors import N_, InvalidInput
from civicgrid.entrypoints.api.errors import _validation_message
from civicgrid.entrypoints.api.routes.cases import ACTION_BODIES
from civicgrid.entrypoints.web.moments import InvalidMoment, typed_moment
from civicgrid.i18n import translate

BODIES: dict[str, type[BaseModel]] = {action: body for action, body, _ in ACTION_BODIES}
CHECKBOXES = {"callback": ("valid", "contacted", "resolved")}
# The moments an action's form asks for, with their labels: typed on the district's clock.
LOCAL_TIMES = {"extend": ("new_due", N_("New due time")), "supervise": ("respond_by", N_("Respond by"))}
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
        elif isinstance(value := _filled(form, name), str) and (value != "" or name in ("note", "reason")):
            raw[name] = _typed_time(action, name, value, timezone)
    if raw.get("satisfaction") == "":
        raw["satisfaction"] = None
    try:
        body = body_type.model_validate(raw)
    except ValidationError as exc:
        fields = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ())[:1]) or "form"
            fields[loc] = _validation_message(str(err.get("type", "")), err.get("input"))
        raise InvalidForm(fields) from None
    params = body.model_dump(exclude={"expected_version"})
    return params, getattr(body, "expected_version", None)


def _filled(form: FormData, name: str) -> str | None:
    """A field's value; of several fields of one name (the merge form's candidates and its box for another
    number), the last one filled in, so a typed number wins over a ticked candidate."""
    values = [v for v in form.getlist(name) if isinstance(v, str)]
    return next((v for v in reversed(values) if v), values[-1] if values else None)


def field_messages(exc: InvalidForm, locale: str) -> dict[str, str]:
    """The field messages of a refused form in the reader's language."""
    return {name: translate(message, locale) for name, message in exc.fields.items()}


def _typed_time(action: str, name: str, value: str, timezone: str) -> Any:
    # A moment field as the district's clock reads it (refused as InvalidMoment); other fields as typed.
    if action not in LOCAL_TIMES or LOCAL_TIMES[action][0] != name:
        return value
    label = LOCAL_TIMES[action][1]
    moment = typed_moment(value, timezone, field=label)
    if moment is None:  # only blanks typed: not a moment either
        raise InvalidMoment(field=label)
    return moment
