"""The error tree of iamlog.

    IamlogError                      root of everything iamlog raises on purpose
    └── DomainError                  a command or input is refused (AWS error code + HTTP status)
        ├── ValidationError          400  malformed input
        ├── NoSuchEntity             404  a named entity does not exist
        ├── EntityAlreadyExists      409  name taken (case-insensitive)
        ├── LimitExceeded            409  an AWS quota would be exceeded
        ├── DeleteConflict           409  the entity still has dependents
        ├── ConcurrentModification   409  the command was decided against a state that changed
        ├── InvalidAction            400  unknown command or action (or API version)
        ├── MissingAction            400  a Query request without `Action`
        ├── MissingParameter         400  a required parameter is absent
        ├── InvalidParameterValue    400  a parameter value of the wrong type
        └── MalformedQueryString     400  a Query request that cannot be decoded (duplicates)

`MalformedPolicyDocument` (400) lives in `domain.policy.errors`; `error_from_code` finds it, and
any other subclass with its own code, through the class tree.

Each error carries structured fields (`account_id`, `entity`) besides its message; the mapping to
AWS error codes and HTTP statuses lives here and nowhere else.
"""

from __future__ import annotations

from typing import ClassVar


class IamlogError(Exception):
    """Root of the iamlog error tree."""


class DomainError(IamlogError):
    """A refusal with an AWS error code, an HTTP status and a message safe to show callers."""

    code: ClassVar[str] = "ServiceFailure"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, account_id: str | None = None, entity: str | None = None):
        super().__init__(message)
        self.message = message
        self.account_id = account_id
        self.entity = entity

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationError(DomainError):
    """Input fails AWS's constraints."""

    code = "ValidationError"
    http_status = 400


class NoSuchEntity(DomainError):
    """The named entity does not exist."""

    code = "NoSuchEntity"
    http_status = 404


class EntityAlreadyExists(DomainError):
    """An entity with this name exists already (names compare ignoring case)."""

    code = "EntityAlreadyExists"
    http_status = 409


class LimitExceeded(DomainError):
    """An AWS quota would be exceeded."""

    code = "LimitExceeded"
    http_status = 409


class DeleteConflict(DomainError):
    """The entity still has dependents and cannot be deleted."""

    code = "DeleteConflict"
    http_status = 409


class ConcurrentModification(DomainError):
    """The command names a state that is no longer current (a renewal of a replaced session)."""

    code = "ConcurrentModification"
    http_status = 409


class InvalidAction(DomainError):
    """The command or action is not known."""

    code = "InvalidAction"
    http_status = 400


class MissingAction(DomainError):
    """A Query request names no action."""

    code = "MissingAction"
    http_status = 400


class MissingParameter(DomainError):
    """A required parameter is absent."""

    code = "MissingParameter"
    http_status = 400


class InvalidParameterValue(DomainError):
    """A parameter value cannot be read as its type (an integer, a boolean, a timestamp)."""

    code = "InvalidParameterValue"
    http_status = 400


class MalformedQueryString(DomainError):
    """A Query request that cannot be decoded unambiguously (a parameter given twice)."""

    code = "MalformedQueryString"
    # AWS's "Common Errors" pages list 404; every other syntax error there is 400, and a
    # client retries or reports either the same way, so iamlog answers 400.
    http_status = 400


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (ValidationError, NoSuchEntity, EntityAlreadyExists, LimitExceeded,
                DeleteConflict, ConcurrentModification, InvalidAction, MissingAction,
                MissingParameter, InvalidParameterValue, MalformedQueryString)
}


def _subclass_with_code(code: str) -> type[DomainError]:
    # Errors defined beside their rules (domain.policy's MalformedPolicyDocument) cannot be
    # imported here without a cycle; they are subclasses, so the tree finds them.
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        if cls.code == code and "code" in vars(cls):
            return cls
        pending.extend(cls.__subclasses__())
    return DomainError


def error_from_code(code: str, message: str) -> DomainError:
    """Rebuild a refusal carried across a process boundary (a reply on Kafka)."""
    cls = ERRORS_BY_CODE.get(code) or _subclass_with_code(code)
    try:
        return cls(message)
    except TypeError:  # a subclass whose constructor needs more than a message
        return ERRORS_BY_CODE.get(code, DomainError)(message)
