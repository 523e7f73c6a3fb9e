"""The local development stack of `iamlog dev`: one Kafka broker and one Postgres cluster."""

from __future__ import annotations

from domain.errors import IamlogError


class DevStackError(IamlogError):
    """A step of the dev stack failed; the message says which and where to look."""
