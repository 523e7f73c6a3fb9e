"""Account events."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event


class AccountCreated(Event):
    """An account and its root user came into being."""

    event_type: ClassVar[str] = "iamlog.account.created"
    version: ClassVar[int] = 1

    created_at: datetime
