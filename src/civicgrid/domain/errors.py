"""Errors the domain raises. Each carries a stable machine code and an English message template.

The message is marked for translation (``N_``) and translated at the edge with its ``params``.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # a local marker keeps the domain free of imports beyond the stdlib
    return message


class DomainError(Exception):
    """Something a user asked for that the rules refuse. Never a bug: the edge turns it into a 4xx."""

    code: str = "domain_error"
    message: str = N_("The request was refused.")

    def __init__(
        self, message: str | None = None, /, *, error_code: str | None = None, **params: Any
    ) -> None:
        if message is not None:
            self.message = message
        if error_code is not None:  # a finer machine code for one raise site; ``code`` stays a free parameter
            self.code = error_code
        self.params: dict[str, Any] = params
        super().__init__(self.render())

    def render(self) -> str:
        """The English text with its parameters filled in."""
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


class NotFound(DomainError):
    code = "not_found"
    message = N_("Not found: {what}.")


class InvalidInput(DomainError):
    code = "invalid_input"
    message = N_("Invalid input: {detail}.")
