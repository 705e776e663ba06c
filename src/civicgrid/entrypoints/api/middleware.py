"""ASGI middleware: a cap on request bodies, no NUL in addresses, and security headers on every answer."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.i18n import N_, translate

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        b"object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    (b"permissions-policy", b"geolocation=(self), camera=(), microphone=()"),
]


class BodyTooLarge(Exception):
    pass


_UNREADABLE = N_("The request could not be read: check its encoding (UTF-8) and format.")
_TOO_LARGE = N_("The request is too large.")


class LimitsAndHeaders:
    """Refuses bodies over ``max_body`` (declared or streamed) with 413, and adds the security headers.

    A NUL character in the path or the query string is refused here with 400, once for every route: no
    code or name contains one, and PostgreSQL cannot even compare text holding one (it would be a 500).
    """

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await self._refuse(scope, send, 400, "bad_request", _UNREADABLE)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._refuse(scope, send, 413, "body_too_large", _TOO_LARGE)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                names = {k.lower() for k, _ in message["headers"]}
                message["headers"] = list(message["headers"]) + [
                    h for h in SECURITY_HEADERS if h[0] not in names
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, 413, "body_too_large", _TOO_LARGE)

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, text: str) -> None:
        message = translate(text, _locale(scope))
        body, content_type = _refusal(str(scope.get("path", "")), code, message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _refusal(path: str, code: str, message: str) -> tuple[bytes, bytes]:
    """The body in the shape of the door asked: the JSON API's, or Open311's errors list (XML or JSON)."""
    if not path.startswith("/open311/"):
        body = {"error": {"code": code, "message": message, "fields": []}}
        return json.dumps(body, ensure_ascii=False).encode(), b"application/json"
    if path.endswith(".json"):
        errors = [{"code": code, "description": message}]
        return json.dumps(errors, ensure_ascii=False).encode(), b"application/json; charset=utf-8"
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{code}</code>'
        f"<description>{escape(message)}</description></error></errors>"
    )
    return xml.encode(), b"text/xml; charset=utf-8"


def _locale(scope: Scope) -> str:
    headers: dict[bytes, Any] = dict(scope.get("headers") or [])
    value = headers.get(b"accept-language", b"").decode("latin-1")
    return "en" if value.lower().startswith("en") else "zh_CN"
