"""Every error answer in one shape, in the caller's language: never a 500 for bad input.

JSON API: ``{"error": {"code", "message", "fields": [{"field", "code", "message"}], ...}}``.
Open311 paths use the specification's ``errors[error{code, description}]`` shape instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicgrid.domain.errors import N_, DomainError, InvalidInput, NotFound
from civicgrid.i18n import normalise_locale, translate

log = logging.getLogger("civicgrid.api")

# Status by machine code; codes not listed fall back on their class, then on 400.
STATUS_BY_CODE = {
    "illegal_transition": 409,
    "stale_version": 409,
    "idempotency_key_reused": 409,
    "forbidden": 403,
    "not_allowed": 403,
    "not_authenticated": 401,
    "invalid_credentials": 401,
    "account_disabled": 403,
    "too_many_attempts": 429,
    "rate_limited": 429,
    "unknown_category": 422,
    "unknown_assignee": 422,
    "unknown_organisation": 422,
    "outside_district": 422,
    "address_not_found": 422,
    "map_rejected": 422,
    "attribute_required": 422,
    "attribute_invalid": 422,
    "photo_too_large": 413,
    "body_too_large": 413,
    "photo_not_image": 415,
    "photo_unsupported": 415,
    "csrf_failed": 403,
    "invalid_time_limit": 422,
    "has_open_work": 409,
    "api_key_name_taken": 409,
}


# The request fields a refusal is about, so a form can mark them (the message says why).
FIELDS_BY_CODE = {
    "unknown_category": ("category_code",),
    "outside_district": ("lon", "lat"),
    "address_not_found": ("address",),
    "contact_required": ("reporter_phone",),
    "unknown_assignee": ("assignee_code",),
    "unknown_organisation": ("org_code",),
    "attribute_required": ("attributes",),
    "attribute_invalid": ("attributes",),
    "stale_version": ("expected_version",),
    "photo_not_found": ("photos",),
    "invalid_period": ("from", "to"),
    "invalid_moment": ("new_due", "respond_by"),  # the page forms' moment fields (one per form)
}


def request_locale(request: Request) -> str:
    """zh_CN unless the caller asks for English (``?lang=en``, cookie ``lang``, or Accept-Language)."""
    choice = request.query_params.get("lang") or request.cookies.get("lang")
    if choice:
        return normalise_locale(choice)
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].split(";")[0].strip()
    return normalise_locale(first) if first else "zh_CN"


def status_of(exc: DomainError) -> int:
    """The HTTP status of a refused request."""
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    return 400


def error_body(
    code: str, message: str, *, fields: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON error shape."""
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or []}
    body.update(extra)
    return {"error": body}


def _is_open311(request: Request) -> bool:
    return request.url.path.startswith("/open311/")


Open311Renderer = Callable[[Request, int, str, str], Response]
PageRenderer = Callable[[Request, int, str, str], Response]


def install(
    app: FastAPI,
    open311_renderer: Open311Renderer | None = None,
    page_renderer: PageRenderer | None = None,
    is_page: Callable[[str], bool] = lambda path: False,
) -> None:
    """Register the handlers that turn every failure into a 4xx in the shape and language of the caller.

    Open311 paths answer in the specification's shape, pages (``is_page``) as an HTML page, the rest in JSON.
    """

    def other_door(request: Request, status: int, code: str, message: str) -> Response | None:
        if _is_open311(request) and open311_renderer is not None:
            return open311_renderer(request, status, code, message)
        if page_renderer is not None and is_page(request.url.path):
            return page_renderer(request, status, code, message)
        return None

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        status = status_of(exc)
        locale = request_locale(request)
        message = translate(exc.message, locale, **exc.params)
        headers = {}
        if status == 429 and "retry_after" in exc.params:
            headers["Retry-After"] = str(exc.params["retry_after"])
        answer = other_door(request, status, exc.code, message)
        if answer is not None:
            return answer
        # The parameters carry the context a client needs, e.g. the current status of an illegal transition.
        extra: dict[str, Any] = {
            "params": {k: v for k, v in exc.params.items() if isinstance(v, str | int | float | bool)}
        }
        problems = getattr(exc, "problems", None)
        if problems:
            extra["problems"] = [
                {
                    "kind": p.kind,
                    "codes": list(p.codes),
                    "message": translate(p.template, locale, **dict(p.params)) if p.template else p.detail,
                }
                for p in problems
            ]
        fields = [
            {"field": f, "code": exc.code, "message": message} for f in FIELDS_BY_CODE.get(exc.code, ())
        ]
        return JSONResponse(
            error_body(exc.code, message, fields=fields, **extra), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        locale = request_locale(request)
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
            fields.append(
                {
                    "field": ".".join(loc),
                    "code": str(err.get("type", "invalid")),
                    "message": translate(
                        _validation_message(str(err.get("type", "")), err.get("input")), locale
                    ),
                }
            )
        message = translate(N_("The request has invalid fields."), locale)
        if _is_open311(request) and open311_renderer is not None:
            detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or message
            return open311_renderer(request, 400, "invalid_request", detail)
        if page_renderer is not None and is_page(request.url.path):
            # A page names each field by its form's label (its code where no label is known).
            named = [
                (translate(FIELD_LABELS.get(f["field"], f["field"]), locale), f["message"]) for f in fields
            ]
            colon = ": " if locale == "en" else "："
            detail = "; ".join(f"{name}{colon}{said}" for name, said in named) or message
            return page_renderer(request, 422, "invalid_request", detail)
        return JSONResponse(error_body("invalid_request", message, fields=fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        locale = request_locale(request)
        code, text = _HTTP_MESSAGES.get(
            exc.status_code, ("http_error", N_("The request could not be served."))
        )
        message = translate(text, locale)
        answer = other_door(request, exc.status_code, code, message)
        if answer is not None:
            return answer
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug, not bad input: logged in full, answered without internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = translate(
            N_("Something went wrong on our side; the error was logged."), request_locale(request)
        )
        if page_renderer is not None and is_page(request.url.path):
            try:
                return page_renderer(request, 500, "internal_error", message)
            except Exception:  # the error page itself failed: fall back on the plain answer
                log.exception("the error page failed too")
        return JSONResponse(error_body("internal_error", message), status_code=500)


_HTTP_MESSAGES = {
    400: ("bad_request", N_("The request could not be read: check its encoding (UTF-8) and format.")),
    404: ("not_found", N_("There is nothing at this address.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    401: ("not_authenticated", N_("Please sign in.")),
    403: ("forbidden", N_("You may not do this.")),
    413: ("body_too_large", N_("The request is too large.")),
    415: ("unsupported_media_type", N_("This content type is not accepted here.")),
}


# The labels of the pages' form fields, for a refusal that comes before the page's own checks.
FIELD_LABELS = {
    "username": N_("User name"),
    "display_name": N_("Name"),
    "password": N_("Password"),
    "name": N_("Name"),
    "name_zh": N_("Name (Chinese)"),
    "short_name_zh": N_("Short name (Chinese)"),
    "name_en": N_("Name (English)"),
    "short_name_en": N_("Short name (English)"),
    "code": N_("Code"),
    "phone": N_("Phone"),
    "note": N_("Note"),
    "reason": N_("Reason"),
    "description": N_("Description"),
    "address": N_("Address"),
    "comment": N_("Comment"),
    "from": N_("From"),
    "to": N_("To"),
    "org_code": N_("Department"),
    "role": N_("Role"),
}


def _validation_message(kind: str, given: Any = None) -> str:
    if kind == "missing":
        return N_("This field is required.")
    if kind.startswith(("int", "float", "decimal")):
        return N_("A number is expected here.")
    if kind.startswith("bool"):
        return N_("true or false is expected here.")
    if kind.startswith(("datetime", "date", "time")):
        return N_("A date and time (ISO 8601 with a time zone) is expected here.")
    if kind == "string_too_short" and given == "":
        return N_("This field is required.")
    if kind in ("string_too_long", "too_long"):
        return N_("The text is too long.")
    if kind in ("string_too_short", "too_short"):
        return N_("The text is too short.")
    if kind.startswith("string"):
        return N_("The text is too long, too short or not text.")
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        return N_("The value is out of range.")
    if kind in ("enum", "literal_error"):
        return N_("This value is not one of the allowed choices.")
    if kind.startswith("json"):
        return N_("The body is not valid JSON.")
    return N_("This value is not valid.")
