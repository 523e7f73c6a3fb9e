"""IAM user events."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event
from events.schemas.tags import Tag


class UserCreated(Event):
    """An IAM user was created."""

    event_type: ClassVar[str] = "iamlog.user.created"
    version: ClassVar[int] = 1

    user_name: str
    user_id: str
    path: str
    arn: str
    created_at: datetime

    def subject(self) -> str:
        """The user's ARN."""
        return self.arn


class UserDeleted(Event):
    """An IAM user was deleted."""

    event_type: ClassVar[str] = "iamlog.user.deleted"
    version: ClassVar[int] = 1

    user_name: str
    user_id: str
    arn: str

    def subject(self) -> str:
        """The user's ARN."""
        return self.arn


class UserUpdated(Event):
    """An IAM user was renamed or moved to another path (UpdateUser)."""

    event_type: ClassVar[str] = "iamlog.user.updated"
    version: ClassVar[int] = 1

    user_name: str  # the name before the update
    user_id: str
    new_user_name: str
    new_path: str
    arn: str  # the ARN after the update

    def subject(self) -> str:
        """The user's ARN after the update."""
        return self.arn


class UserTagged(Event):
    """Tags were added to a user; a tag whose key exists (ignoring case) replaces it."""

    event_type: ClassVar[str] = "iamlog.user.tagged"
    version: ClassVar[int] = 1

    user_name: str
    user_id: str
    arn: str
    tags: tuple[Tag, ...]

    def subject(self) -> str:
        """The user's ARN."""
        return self.arn


class UserUntagged(Event):
    """Tags were removed from a user (keys compared ignoring case)."""

    event_type: ClassVar[str] = "iamlog.user.untagged"
    version: ClassVar[int] = 1

    user_name: str
    user_id: str
    arn: str
    tag_keys: tuple[str, ...]

    def subject(self) -> str:
        """The user's ARN."""
        return self.arn
