"""The base of every event model: frozen, strict, versioned."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """One fact about an account; `event_type` and `version` name its schema."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int]

    account_id: str

    def subject(self) -> str:
        """The ARN of the entity this event is about (CloudEvents `subject`)."""
        return f"arn:aws:iam::{self.account_id}:root"
