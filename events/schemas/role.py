"""IAM role events. Trust policies are not secrets: they travel as given."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event
from events.schemas.tags import Tag


class _RoleEvent(Event):
    role_name: str
    role_id: str
    arn: str  # the role's

    def subject(self) -> str:
        """The role's ARN."""
        return self.arn


class RoleCreated(_RoleEvent):
    """An IAM role was created with its trust policy (CreateRole)."""

    event_type: ClassVar[str] = "iamlog.role.created"
    version: ClassVar[int] = 1

    path: str
    trust_policy: str
    description: str | None
    max_session_duration: int
    tags: tuple[Tag, ...]
    created_at: datetime


class RoleDeleted(_RoleEvent):
    """An IAM role was deleted (DeleteRole)."""

    event_type: ClassVar[str] = "iamlog.role.deleted"
    version: ClassVar[int] = 1


class RoleUpdated(_RoleEvent):
    """A role's description or maximum session duration changed (UpdateRole): the new values."""

    event_type: ClassVar[str] = "iamlog.role.updated"
    version: ClassVar[int] = 1

    description: str | None
    max_session_duration: int


class RoleTrustPolicyUpdated(_RoleEvent):
    """A role's trust policy was replaced (UpdateAssumeRolePolicy)."""

    event_type: ClassVar[str] = "iamlog.role.trust_policy_updated"
    version: ClassVar[int] = 1

    trust_policy: str


class RoleTagged(_RoleEvent):
    """Tags were added to a role; a tag whose key exists (ignoring case) replaces it."""

    event_type: ClassVar[str] = "iamlog.role.tagged"
    version: ClassVar[int] = 1

    tags: tuple[Tag, ...]


class RoleUntagged(_RoleEvent):
    """Tags were removed from a role (keys compared ignoring case)."""

    event_type: ClassVar[str] = "iamlog.role.untagged"
    version: ClassVar[int] = 1

    tag_keys: tuple[str, ...]


class RoleBoundaryPut(_RoleEvent):
    """A managed policy became (or replaced) a role's permissions boundary."""

    event_type: ClassVar[str] = "iamlog.role.permissions_boundary_put"
    version: ClassVar[int] = 1

    policy_arn: str
    policy_id: str


class RoleBoundaryDeleted(_RoleEvent):
    """A role's permissions boundary was removed."""

    event_type: ClassVar[str] = "iamlog.role.permissions_boundary_deleted"
    version: ClassVar[int] = 1

    policy_arn: str
