"""IAM user events."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event


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
