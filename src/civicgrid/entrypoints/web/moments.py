"""Dates and times at the pages' edge: typed into a form or a query, or stored as ISO text in a case's data.

A typed date or time without a zone is on the district's clock (a browser's ``date`` and ``datetime-local``
fields send none); text that names its zone keeps it. Whatever page it was typed into, text that is not a
date is refused the same way: ``InvalidMoment``, a 422 in the reader's language naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from civicgrid.domain.errors import N_, InvalidInput


class InvalidMoment(InvalidInput):
    """A typed date or time that is not one; ``field`` is the field's label (a message id)."""

    code = "invalid_moment"
    message = N_("{field}: not a date or time. Write it as 2026-11-20 or 2026-11-20 17:30.")


def typed_moment(text: str, timezone: str, *, field: str) -> datetime | None:
    """What a reader typed as a moment (None when left empty), aware, on the district's clock."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidMoment(field=field) from None
    return moment.replace(tzinfo=ZoneInfo(timezone)) if moment.tzinfo is None else moment


def stored_moment(text: Any) -> datetime | None:
    """A moment the system stored as ISO text (due times, response deadlines), or None."""
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
