"""Session events. They name the session and its key id, never its token or secret."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from events.schemas.base import Event


class SessionIssued(Event):
    """Temporary credentials were handed out (GetSessionToken, GetFederationToken); the token
    went to the caller.

    v2 adds federated-user sessions: `session_kind` `federated_user`, `principal_arn` the
    `…:federated-user/<name>` ARN, `federated_name` the name; v1 records read as
    `federated_name: null`.
    """

    event_type: ClassVar[str] = "iamlog.session.issued"
    version: ClassVar[int] = 2

    session_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    session_kind: Literal["session_token", "federated_user"]
    principal_arn: str
    # The user whose credentials asked for the session (and whose permissions it has);
    # None: the account's root user.
    user_name: str | None
    federated_name: str | None = None
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    # The long-term key that signed the request, for the audit trail.
    source_key_id: str
    issued_at: datetime
    expires_at: datetime

    def subject(self) -> str:
        """The ARN of the session's principal."""
        return self.principal_arn


class RoleAssumed(Event):
    """A role was assumed (AssumeRole); recorded in the role's account. The token and the
    secret went to the caller only."""

    event_type: ClassVar[str] = "iamlog.role.assumed"
    version: ClassVar[int] = 1

    session_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    role_name: str
    role_id: str
    role_arn: str
    # Who assumed the role (a user, or an assumed-role session when chaining), maybe of
    # another account.
    caller_arn: str
    role_session_name: str
    source_identity: str | None = None
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    issued_at: datetime
    expires_at: datetime

    def subject(self) -> str:
        """The ARN of the assumed role."""
        return self.role_arn


class SessionExpired(Event):
    """A session's expiration passed (noted by the scheduler); its credentials were refused
    from that moment on already, this records it."""

    event_type: ClassVar[str] = "iamlog.session.expired"
    version: ClassVar[int] = 1

    session_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    principal_arn: str
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    expires_at: datetime

    def subject(self) -> str:
        """The ARN of the session's principal."""
        return self.principal_arn


class SessionRevoked(Event):
    """A session was revoked before its expiration: every api replica refuses its credentials
    from the moment it reads this event."""

    event_type: ClassVar[str] = "iamlog.session.revoked"
    version: ClassVar[int] = 1

    session_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    principal_arn: str
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    # Why, for the audit trail: e.g. "revoked by an operator", "role deleted".
    reason: str = Field(min_length=1, max_length=256)
    revoked_at: datetime

    def subject(self) -> str:
        """The ARN of the session's principal."""
        return self.principal_arn
