"""Answers to a service definition's attributes, checked against the category before a report is filed.

Required attributes must be answered, list answers must be keys of the definition, numbers and datetimes
must read as such. Codes the definition does not have are dropped (clients such as FixMyStreet add their
own, e.g. ``attribute[fixmystreet_id]``), and so are empty answers.
"""

from __future__ import annotations

import math
from datetime import datetime

from civicgrid.domain.catalogue import Category, CategoryAttribute, Datatype
from civicgrid.domain.errors import N_, DomainError

MAX_STRING = 200
MAX_TEXT = 2000


class AttributeRequired(DomainError):
    code = "attribute_required"
    message = N_("The attribute {attribute} is required for this service.")


class AttributeInvalid(DomainError):
    code = "attribute_invalid"
    message = N_("The attribute {attribute} has a value that is not allowed: {detail}")


def check_answers(
    category: Category, given: dict[str, list[str]], *, enforce_required: bool = True
) -> dict[str, str | list[str]]:
    """The answers to keep, one per attribute code: a string, or a list for a multivaluelist.

    ``enforce_required``: Open311 promises its clients that required attributes are checked; a resident on
    the phone or the web page answers what they know, so the other doors check only what is given.
    """
    answers: dict[str, str | list[str]] = {}
    for attribute in sorted(category.attributes, key=lambda a: a.order):
        values = [v for v in given.get(attribute.code, []) if v.strip()]
        if not values:
            if attribute.required and enforce_required:
                raise AttributeRequired(attribute=attribute.code)
            continue
        answers[attribute.code] = _answer(attribute, values)
    return answers


def _answer(attribute: CategoryAttribute, values: list[str]) -> str | list[str]:
    keys = {v.key for v in attribute.values}
    if attribute.datatype is Datatype.MULTIVALUELIST:
        chosen = list(dict.fromkeys(v.strip() for v in values))
        unknown = [v for v in chosen if v not in keys]
        if unknown:
            raise AttributeInvalid(attribute=attribute.code, detail=N_("not one of the listed keys"))
        return chosen
    if len(values) > 1:
        raise AttributeInvalid(attribute=attribute.code, detail=N_("only one value may be given"))
    value = values[0].strip()
    if attribute.datatype is Datatype.SINGLEVALUELIST:
        if value not in keys:
            raise AttributeInvalid(attribute=attribute.code, detail=N_("not one of the listed keys"))
    elif attribute.datatype is Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise AttributeInvalid(attribute=attribute.code, detail=N_("a number is expected"))
    elif attribute.datatype is Datatype.DATETIME:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise AttributeInvalid(
                attribute=attribute.code, detail=N_("a date and time in ISO 8601 is expected")
            ) from None
    elif attribute.datatype is Datatype.STRING:
        value = " ".join(value.split())  # a string has no line breaks
        if len(value) > MAX_STRING:
            raise AttributeInvalid(attribute=attribute.code, detail=N_("too long"))
    elif len(value) > MAX_TEXT:
        raise AttributeInvalid(attribute=attribute.code, detail=N_("too long"))
    return value
