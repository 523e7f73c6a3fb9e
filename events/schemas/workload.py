"""Workload events: a workload bound to an instance profile, and the sessions it is issued.

A binding holds only the SHA-256 digest of its workload token (the token went to the operator
once). A session event holds the salt and master key version its secret and token are derived
from (like `access_key.issued`), never the secret or the token.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from events.schemas.base import Event

SESSION_ID = r"^[0-9a-f]{32}$"


class WorkloadBound(Event):
    """A workload was bound to an instance profile (`iamlog workloads bind`)."""

    event_type: ClassVar[str] = "iamlog.workload.bound"
    version: ClassVar[int] = 1

    workload: str
    profile_name: str
    profile_id: str
    profile_arn: str
    # SHA-256 of the workload token, hex: what the credentials endpoint compares against.
    bearer_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bound_at: datetime

    def subject(self) -> str:
        """The instance profile's ARN."""
        return self.profile_arn


class WorkloadUnbound(Event):
    """A workload's binding was removed; its unexpired sessions are revoked with it."""

    event_type: ClassVar[str] = "iamlog.workload.unbound"
    version: ClassVar[int] = 1

    workload: str
    profile_name: str
    profile_id: str
    profile_arn: str
    revoked_session_ids: tuple[str, ...]
    unbound_at: datetime

    def subject(self) -> str:
        """The instance profile's ARN."""
        return self.profile_arn


class _WorkloadSession(Event):
    """One session of a bound workload: an assumed-role session of the profile's role, named
    after the workload (`arn:aws:sts::<account>:assumed-role/<role>/<workload>`)."""

    session_id: str = Field(pattern=SESSION_ID)
    workload: str
    profile_name: str
    profile_id: str
    role_name: str
    role_id: str
    role_arn: str
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    salt: str = Field(pattern=r"^[0-9a-f]{32}$")
    master_key_version: int = Field(ge=1)
    issued_at: datetime
    expires_at: datetime

    def subject(self) -> str:
        """The ARN of the role the session acts as."""
        return self.role_arn


class WorkloadSessionIssued(_WorkloadSession):
    """A bound workload's first session, issued with its binding."""

    event_type: ClassVar[str] = "iamlog.workload.session_issued"
    version: ClassVar[int] = 1


class SessionRenewed(_WorkloadSession):
    """A workload session was renewed: `session_id` is the new session, which becomes the
    binding's current one; `old_session_id` stays valid until its own expiration."""

    event_type: ClassVar[str] = "iamlog.session.renewed"
    version: ClassVar[int] = 1

    old_session_id: str = Field(pattern=SESSION_ID)
