"""Refusals specific to IAM entities, placed in the tree of `domain.errors`.

    DomainError
    └── InvalidInput                 400  input IAM rejects beyond its model's constraints
                                          (duplicate tag keys, reserved `aws:` tag keys)

`domain.errors.error_from_code` finds it through the class tree.
"""

from __future__ import annotations

from domain.errors import DomainError


class InvalidInput(DomainError):
    """IAM's `InvalidInput`: a request its model allows but its rules refuse."""

    code = "InvalidInput"
    http_status = 400
