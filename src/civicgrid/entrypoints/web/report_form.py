"""The resident's report form: what was typed, read from a plain form POST, and the catalogue as the page
shows it (grouped by major class, in the reader's language, with each category's questions).

The same form is sent two ways: with JavaScript as JSON to ``POST /api/v1/cases`` (photos uploaded first
to ``/api/v1/photos``), without it as a multipart POST to ``/report``. Both end in ``services.intake``.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, cast

import fastapi
from fastapi import Request
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from civicgrid.adapters.db.reference_repository import CATEGORY_CACHE_SECONDS
from civicgrid.bootstrap import App
from civicgrid.domain.case_types import Source
from civicgrid.domain.errors import N_
from civicgrid.entrypoints.api.errors import request_locale
from civicgrid.services import reference
from civicgrid.services.intake import InvalidReport, ReportCase

ATTRIBUTE_PREFIX = "attr."  # attr.<category>.<attribute>: every category's questions are in the page
MAX_NAME = 100
MAX_PHONE = 32
MAX_PHOTOS = 3


@dataclass
class TypedReport:
    """What the resident typed, kept as text so a refused form comes back exactly as it was sent."""

    category_code: str = ""
    description: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    photos: list[str] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)  # answers to the chosen category's questions
    idempotency_key: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> TypedReport:
        """Read the page's form fields (unknown fields are ignored, as a browser may add its own)."""

        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        category = text("category_code").strip()
        prefix = f"{ATTRIBUTE_PREFIX}{category}."
        answers: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if category and key.startswith(prefix) and isinstance(value, str) and value.strip():
                answers.setdefault(key[len(prefix) :], []).append(value)
        return cls(
            category_code=category,
            description=text("description"),
            address=text("address"),
            lon=text("lon").strip(),
            lat=text("lat").strip(),
            reporter_name=text("reporter_name"),
            reporter_phone=text("reporter_phone"),
            anonymous=text("anonymous") in ("1", "on", "true"),
            photos=[v for v in form.getlist("photos") if isinstance(v, str) and v],
            answers=answers,
            idempotency_key=text("idempotency_key")[:200] or new_idempotency_key(),
        )

    def report(self, photos: tuple[str, ...]) -> ReportCase:
        """The report for the intake service; a malformed point, name or phone is refused here."""
        if len(self.reporter_name) > MAX_NAME:
            raise InvalidReport(detail=N_("The name is longer than 100 characters."))
        if len(self.reporter_phone) > MAX_PHONE:
            raise InvalidReport(detail=N_("The phone number is not valid."))
        lon, lat = _coordinate(self.lon, 180), _coordinate(self.lat, 90)
        return ReportCase(
            source=Source.WEB,
            category_code=self.category_code,
            description=self.description,
            lon=lon,
            lat=lat,
            address=self.address,
            reporter_name=None if self.anonymous else (self.reporter_name.strip() or None),
            reporter_phone=None if self.anonymous else (self.reporter_phone.strip() or None),
            anonymous=self.anonymous,
            photos=photos,
            attributes={k: v[0] if len(v) == 1 else v for k, v in self.answers.items()},
        )


def page_locale(request: Request) -> str:
    """The reader's language, as the page frame chose it."""
    return getattr(request.state, "locale", None) or request_locale(request)


def script_json(data: object) -> Markup:
    """JSON for a ``<script type="application/json">`` block: UTF-8 as is (half the bytes of Jinja's
    ``tojson`` for Chinese), with the characters that could end the block or open markup escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return Markup(text)


def new_idempotency_key() -> str:
    """A key per form shown: a second tap on 'Send', or a resend after a lost answer, files nothing new."""
    return "page-" + secrets.token_urlsafe(16)


def chosen_uploads(form: FormData, field_name: str = "photo_files") -> list[fastapi.UploadFile]:
    """The files of a file input; browsers send an empty part when nothing was chosen."""
    # Starlette's form parser makes Starlette UploadFiles; FastAPI's class only adds schema hooks.
    files = [f for f in form.getlist(field_name) if isinstance(f, UploadFile) and f.filename]
    return cast("list[fastapi.UploadFile]", files)


def _coordinate(text: str, bound: float) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise InvalidReport(detail=N_("The map point is not valid; pick it on the map again."))
    return value


# ----------------------------------------------------------------------------- the catalogue on the page
@dataclass(frozen=True)
class Choice:
    key: str
    name: str


@dataclass(frozen=True)
class Question:
    """One of a category's questions (an Open311 attribute), in the reader's language."""

    code: str
    datatype: str
    required: bool
    text: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class CategoryView:
    code: str
    name: str
    major: str
    major_name: str
    description: str
    anonymous_allowed: bool
    questions: tuple[Question, ...]
    time_limits: dict[str, str]
    urgency: str
    search_text: str  # names and keywords in both languages, for the page's live search


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    name: str
    categories: tuple[CategoryView, ...]


def category_views(docs: list[dict[str, Any]], locale: str) -> list[CategoryView]:
    """The API's category documents as the page shows them, in catalogue order."""
    lang = "en" if locale == "en" else "zh"
    out = []
    for doc in docs:
        questions = tuple(
            Question(
                code=a["code"],
                datatype=a["datatype"],
                required=bool(a["required"]),
                text=a[f"description_{lang}"],
                choices=tuple(Choice(v["key"], v[f"name_{lang}"]) for v in a.get("values", ())),
            )
            for a in sorted(doc.get("attributes", ()), key=lambda a: a["order"])
        )
        words = [doc["name_zh"], doc["name_en"], doc["major_name_zh"], doc["major_name_en"]]
        words += [*doc.get("keywords_zh", ()), *doc.get("keywords_en", ())]
        out.append(
            CategoryView(
                code=doc["code"],
                name=doc[f"name_{lang}"],
                major=doc["major"],
                major_name=doc[f"major_name_{lang}"],
                description=doc[f"description_{lang}"],
                anonymous_allowed=bool(doc["anonymous_allowed"]),
                questions=questions,
                time_limits=dict(doc.get("time_limits", {})),
                urgency=doc["urgency"],
                search_text="|".join(words).casefold(),
            )
        )
    return out


def page_categories(app: App, locale: str) -> list[CategoryView]:
    """The catalogue as the pages show it, kept for a few seconds per database and language.

    Reading and shaping the 102 categories with their questions and time limits takes ~50 ms, most of a
    report page's server time; the catalogue changes a few times a year, and intake already trusts a
    category for this long (``CATEGORY_CACHE_SECONDS``), so an administrator's edit shows as soon there.
    """
    key = (app.engine.url.render_as_string(), locale)
    now = time.monotonic()
    hit = _VIEWS.get(key)
    if hit is not None and now - hit[0] < CATEGORY_CACHE_SECONDS:
        return hit[1]
    views = category_views(reference.categories(uow=app.reader), locale)
    _VIEWS[key] = (now, views)
    return views


_VIEWS: dict[tuple[str, str], tuple[float, list[CategoryView]]] = {}


def grouped(categories: list[CategoryView]) -> list[CategoryGroup]:
    """Categories under their major class, both in catalogue order."""
    groups: dict[str, list[CategoryView]] = {}
    names: dict[str, str] = {}
    for c in categories:
        groups.setdefault(c.major, []).append(c)
        names[c.major] = c.major_name
    return [CategoryGroup(code, names[code], tuple(items)) for code, items in groups.items()]
