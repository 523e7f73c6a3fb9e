"""A tag as IAM holds it: a key (unique ignoring case) and a value."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Tag(BaseModel):
    """One `Key`/`Value` pair (TagUser, ListUserTags)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    value: str
