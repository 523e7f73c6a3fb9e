"""Errors of the policy language, placed in the tree of `domain.errors`.

    DomainError
    ├── MalformedPolicyDocument      400  the document breaks the grammar (message says where)
    └── LimitExceeded
        └── PolicyLimitExceeded      409  the document is larger than its kind allows
"""

from __future__ import annotations

from domain.errors import DomainError, LimitExceeded


class MalformedPolicyDocument(DomainError):
    """A policy document that IAM would refuse, with a message saying what is wrong."""

    code = "MalformedPolicyDocument"
    http_status = 400


class PolicyLimitExceeded(LimitExceeded):
    """A policy document longer (whitespace aside) than its kind allows."""

    code = "LimitExceeded"
    http_status = 409

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit
