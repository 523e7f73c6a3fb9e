"""Refusals raised by the Query codec, and the `<ErrorResponse>` document for any refusal.

    DomainError (domain.errors)
    └── QueryError                         refused by the codec before any handler runs
        ├── QueryMissingAction             400  MissingAction
        ├── QueryInvalidAction             400  InvalidAction (unknown action or API version)
        ├── QueryMalformedQueryString      400  MalformedQueryString (a parameter given twice)
        ├── QueryInvalidParameterValue     400  InvalidParameterValue (not an integer, boolean, …)
        └── QueryValidationError           400  ValidationError (the model's constraints)

Each also subclasses the matching `domain.errors` class, so `except ValidationError` catches the
codec's refusals together with the handlers' own.
"""

from __future__ import annotations

from typing import Protocol

from domain import errors


class QueryError(errors.DomainError):
    """A Query request refused by the codec; nothing reached a handler."""


class QueryMissingAction(QueryError, errors.MissingAction):
    """No `Action` parameter."""


class QueryInvalidAction(QueryError, errors.InvalidAction):
    """An action the service does not have, or a `Version` it does not speak."""


class QueryMalformedQueryString(QueryError, errors.MalformedQueryString):
    """A parameter given more than once."""


class QueryInvalidParameterValue(QueryError, errors.InvalidParameterValue):
    """A value that cannot be read as its member's type."""


class QueryValidationError(QueryError, errors.ValidationError):
    """Values that break the model's constraints; the message lists every violation."""


class RenderableError(Protocol):
    """What `render_error` needs: an AWS code, a message and an HTTP status."""

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def http_status(self) -> int: ...


def fault_type(error: RenderableError) -> str:
    """`Sender` for the caller's mistakes (4xx), `Receiver` for ours (5xx), unless it says."""
    explicit = getattr(error, "fault", None)
    if explicit in ("Sender", "Receiver"):
        return str(explicit)
    return "Receiver" if error.http_status >= 500 else "Sender"
