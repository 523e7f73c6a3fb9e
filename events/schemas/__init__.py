"""Versioned event models, one module per entity; `EVENT_MODELS` maps type names to models."""

from __future__ import annotations

from events.schemas.access_key import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
)
from events.schemas.account import AccountCreated
from events.schemas.base import Event
from events.schemas.user import UserCreated, UserDeleted

EVENT_MODELS: dict[str, type[Event]] = {
    model.event_type: model
    for model in (
        AccountCreated,
        UserCreated,
        UserDeleted,
        AccessKeyIssued,
        AccessKeyDisabled,
        AccessKeyEnabled,
        AccessKeyDeleted,
    )
}

__all__ = [
    "EVENT_MODELS",
    "AccessKeyDeleted",
    "AccessKeyDisabled",
    "AccessKeyEnabled",
    "AccessKeyIssued",
    "AccountCreated",
    "Event",
    "UserCreated",
    "UserDeleted",
]
