"""Open311 documents as XML or JSON (the Spark convention); errors as ``errors[error{code, description}]``.

A document is plain data: dicts are elements with named children, ``Many`` is a container of repeated
children (``<services><service/>...</services>``), which JSON writes as an array. Both formats come from
the same data, so they cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from civicgrid.domain.errors import N_, NotFound

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# Characters XML 1.0 cannot carry at all (not even escaped); dropped from every text we write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The specification asks for 404 (unknown resource), 403 (api_key) and 400 (anything else).
_STATUS_BY_CODE = {
    "api_key_missing": 403,
    "api_key_invalid": 403,
    "unknown_category": 404,  # a service_code that is not in the catalogue
}
_KEPT_STATUSES = frozenset({400, 403, 404, 405, 413, 429})


class Format(StrEnum):
    XML = "xml"
    JSON = "json"

    @property
    def mime(self) -> str:
        return "text/xml" if self is Format.XML else "application/json"


class UnknownFormat(NotFound):
    code = "unknown_format"
    message = N_("Unknown format '{format}': add .xml or .json to the resource.")


def parse_format(extension: str) -> Format:
    """The format a resource's extension names; UnknownFormat (404) for any other."""
    try:
        return Format(extension)
    except ValueError:
        raise UnknownFormat(format=extension[:10]) from None


@dataclass(frozen=True)
class Many:
    """A container of repeated ``item`` children: an XML list element, a JSON array."""

    item: str
    items: Sequence[Any]


def clean_text(text: str) -> str:
    """Text without the characters XML 1.0 forbids (and lone surrogates, which UTF-8 cannot encode)."""
    return _NOT_XML.sub("", text)


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return clean_text(str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(ET.SubElement(element, value.item), item)
    elif isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    else:
        element.text = _scalar_text(value)


def to_xml(root: str, document: Any) -> bytes:
    """The document as UTF-8 XML with its declaration, no namespace (as the specification asks)."""
    element = ET.Element(root)
    _fill(element, document)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, Many):
        return [_json_value(v) for v in value.items]
    if isinstance(value, Mapping):
        return {name: _json_value(child) for name, child in value.items()}
    if isinstance(value, str):
        return clean_text(value) or None  # an empty XML element is null in Spark JSON
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(document: Any) -> bytes:
    """The document in the Spark convention: a root container becomes a bare array."""
    return json.dumps(_json_value(document), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: Format, root: str, document: Any, status_code: int = 200) -> Response:
    """An answer in the requested format; ``root`` names the XML root element."""
    if fmt is Format.JSON:
        return Response(to_json(document), status_code=status_code, media_type=JSON_TYPE)
    return Response(to_xml(root, document), status_code=status_code, media_type=XML_TYPE)


def format_of_path(path: str) -> Format:
    """The format an answer to ``path`` should use: JSON for ``*.json``, XML (the required one) otherwise."""
    return Format.JSON if path.endswith(".json") else Format.XML


def open311_status(status: int, code: str) -> int:
    """The HTTP status the specification expects for a refusal the rest of the API answers with ``status``."""
    if code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code]
    if status == 401:
        return 403
    return status if status in _KEPT_STATUSES else 400


def render_error(request: Request, status: int, code: str, message: str) -> Response:
    """The error hook of ``errors.install`` for paths under /open311/."""
    document = Many("error", [{"code": code, "description": message}])
    return render(format_of_path(request.url.path), "errors", document, open311_status(status, code))
