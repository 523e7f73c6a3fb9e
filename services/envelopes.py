"""Messages on `<prefix>.commands` and `<prefix>.replies` (JSON values, key = account id).

Neither ever carries a secret: a reply to CreateAccessKey holds the key id, salt and master key
version, and the api derives the secret it returns once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.commands import Command


class CommandEnvelope(BaseModel):
    """A command addressed to one account, with the idempotency key that names it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(min_length=1, max_length=128)
    account_id: str
    command: Command
    traceparent: str | None = None


class EventSummary(BaseModel):
    """An event as a reply reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    data: dict[str, Any]


class Reply(BaseModel):
    """The outcome of one command: its events, or the refusal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str
    account_id: str
    ok: bool
    # Account version (last event sequence) after the command: readers wait for it.
    version: int = 0
    events: list[EventSummary] = Field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    # True when the command id was seen before and this is the first outcome again.
    duplicate: bool = False
