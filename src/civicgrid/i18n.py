"""Translations: Chinese first, English second.

Messages are written in English in the code, marked with ``N_`` so Babel's extractor finds them,
and translated at the edge (CLI, API, pages) with ``translate``.  The catalogue is read straight from
the ``.po`` file with Babel, so there is no compile step between a checkout and a running program.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where the reader's language is known."""
    return message


@cache
def _catalogue(locale: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = resources.files("civicgrid") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return {
        m.id: m.string for m in catalog if isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


def normalise_locale(value: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_CN.UTF-8', 'en-US', ... to one of LOCALES (Chinese when unsure)."""
    if not value:
        return DEFAULT_LOCALE
    v = value.split(".")[0].replace("-", "_").lower()
    if v.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def locale_from_environment() -> str:
    """The CLI's language: CIVICGRID_LANG, then LC_ALL, LC_MESSAGES, LANG; Chinese by default."""
    for name in ("CIVICGRID_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return normalise_locale(value)
    return DEFAULT_LOCALE


def both(zh: str, en: str) -> dict[str, str]:
    """A name in both languages, as a message parameter: ``translate`` shows the reader's (JSON-safe, so
    a stored message keeps it)."""
    return {"zh_CN": zh, "en": en or zh}


def translate(message: str, locale: str | None = None, /, **params: Any) -> str:
    """Translate ``message`` into ``locale`` and fill its ``{named}`` placeholders."""
    loc = normalise_locale(locale) if locale else DEFAULT_LOCALE
    catalogue = _catalogue(loc)
    text = catalogue.get(message, message)
    if params:
        # Parameters that are codes with a label of their own (statuses, actions, levels) are shown by label;
        # names in both languages (``both``) in the reader's.
        shown = {k: _shown(v, loc, catalogue) for k, v in params.items()}
        try:
            return text.format(**shown)
        except (KeyError, IndexError, ValueError):
            return message.format(**{k: _shown(v, "en", {}) for k, v in params.items()})
    return text


def _shown(value: Any, locale: str, catalogue: dict[str, str]) -> Any:
    if isinstance(value, str):
        return catalogue.get(value, value)
    if isinstance(value, dict) and "zh_CN" in value:
        return value.get(locale) or value["zh_CN"]
    return value
