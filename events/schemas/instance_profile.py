"""Instance profile events: the container of (at most) one role that workloads are bound to."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event
from events.schemas.tags import Tag


class _ProfileEvent(Event):
    profile_name: str
    profile_id: str
    arn: str  # the instance profile's

    def subject(self) -> str:
        """The instance profile's ARN."""
        return self.arn


class InstanceProfileCreated(_ProfileEvent):
    """An instance profile was created (CreateInstanceProfile), holding no role yet."""

    event_type: ClassVar[str] = "iamlog.instance_profile.created"
    version: ClassVar[int] = 1

    path: str
    tags: tuple[Tag, ...]
    created_at: datetime


class InstanceProfileDeleted(_ProfileEvent):
    """An instance profile was deleted (DeleteInstanceProfile)."""

    event_type: ClassVar[str] = "iamlog.instance_profile.deleted"
    version: ClassVar[int] = 1


class InstanceProfileRoleAdded(_ProfileEvent):
    """A role was put into an instance profile (AddRoleToInstanceProfile)."""

    event_type: ClassVar[str] = "iamlog.instance_profile.role_added"
    version: ClassVar[int] = 1

    role_name: str
    role_id: str
    role_arn: str


class InstanceProfileRoleRemoved(_ProfileEvent):
    """A role was taken out of an instance profile (RemoveRoleFromInstanceProfile).

    The unexpired sessions of the workloads bound to the profile end with it: their ids are
    listed, and they are refused from this event on.
    """

    event_type: ClassVar[str] = "iamlog.instance_profile.role_removed"
    version: ClassVar[int] = 1

    role_name: str
    role_id: str
    role_arn: str
    revoked_session_ids: tuple[str, ...]
    removed_at: datetime


class InstanceProfileTagged(_ProfileEvent):
    """Tags were added to an instance profile; a key present (ignoring case) gets the value."""

    event_type: ClassVar[str] = "iamlog.instance_profile.tagged"
    version: ClassVar[int] = 1

    tags: tuple[Tag, ...]


class InstanceProfileUntagged(_ProfileEvent):
    """Tags were removed from an instance profile (keys compared ignoring case)."""

    event_type: ClassVar[str] = "iamlog.instance_profile.untagged"
    version: ClassVar[int] = 1

    tag_keys: tuple[str, ...]
