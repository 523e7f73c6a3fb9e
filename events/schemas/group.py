"""IAM group events."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event


class GroupCreated(Event):
    """An IAM group was created."""

    event_type: ClassVar[str] = "iamlog.group.created"
    version: ClassVar[int] = 1

    group_name: str
    group_id: str
    path: str
    arn: str
    created_at: datetime

    def subject(self) -> str:
        """The group's ARN."""
        return self.arn


class GroupDeleted(Event):
    """An IAM group was deleted."""

    event_type: ClassVar[str] = "iamlog.group.deleted"
    version: ClassVar[int] = 1

    group_name: str
    group_id: str
    arn: str

    def subject(self) -> str:
        """The group's ARN."""
        return self.arn


class _Membership(Event):
    group_name: str
    group_id: str
    arn: str  # the group's
    user_name: str
    user_id: str

    def subject(self) -> str:
        """The group's ARN."""
        return self.arn


class GroupMemberAdded(_Membership):
    """A user joined a group (AddUserToGroup)."""

    event_type: ClassVar[str] = "iamlog.group.member_added"
    version: ClassVar[int] = 1


class GroupMemberRemoved(_Membership):
    """A user left a group (RemoveUserFromGroup)."""

    event_type: ClassVar[str] = "iamlog.group.member_removed"
    version: ClassVar[int] = 1
