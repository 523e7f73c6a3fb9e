"""Inline policies of users, groups and roles, and users' permissions boundaries."""

from __future__ import annotations

from typing import ClassVar

from events.schemas.base import Event
from events.schemas.policy import EntityType


class _InlineEvent(Event):
    entity_type: EntityType
    entity_name: str
    entity_id: str
    entity_arn: str
    policy_name: str

    def subject(self) -> str:
        """The ARN of the user, group or role the policy is embedded in."""
        return self.entity_arn


class InlinePolicyPut(_InlineEvent):
    """An inline policy was added to a user, group or role, or replaced (PutUserPolicy, …)."""

    event_type: ClassVar[str] = "iamlog.inline_policy.put"
    version: ClassVar[int] = 1

    document: str


class InlinePolicyDeleted(_InlineEvent):
    """An inline policy was removed from a user, group or role."""

    event_type: ClassVar[str] = "iamlog.inline_policy.deleted"
    version: ClassVar[int] = 1


class _BoundaryEvent(Event):
    user_name: str
    user_id: str
    arn: str  # the user's
    policy_arn: str

    def subject(self) -> str:
        """The user's ARN."""
        return self.arn


class PermissionsBoundaryPut(_BoundaryEvent):
    """A managed policy became (or replaced) a user's permissions boundary."""

    event_type: ClassVar[str] = "iamlog.permissions_boundary.put"
    version: ClassVar[int] = 1

    policy_id: str


class PermissionsBoundaryDeleted(_BoundaryEvent):
    """A user's permissions boundary was removed."""

    event_type: ClassVar[str] = "iamlog.permissions_boundary.deleted"
    version: ClassVar[int] = 1
