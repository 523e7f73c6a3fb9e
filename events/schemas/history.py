"""Superseded versions of event models, kept so their JSON Schemas stay published.

Records of these versions remain on the log forever; `events.upcasters` reads them as the
current version. The models here only document the old shape: nothing decodes into them. They
derive from nothing in `events.schemas.base` on purpose, so that editing today's base model
cannot change a historical schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class AccessKeyIssuedV1(BaseModel):
    """A long-term access key was created (v1: every secret derived from master key 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = "iamlog.access_key.issued"
    version: ClassVar[int] = 1

    account_id: str
    access_key_id: str = Field(pattern=r"^AKIA[A-Z2-7]{16}$")
    user_name: str | None
    owner_arn: str
    salt: str = Field(pattern=r"^[0-9a-f]{32}$")
    created_at: datetime


class SessionIssuedV1(BaseModel):
    """Temporary credentials were handed out (GetSessionToken); the token went to the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = "iamlog.session.issued"
    version: ClassVar[int] = 1

    account_id: str
    session_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    session_kind: Literal["session_token"]
    principal_arn: str
    user_name: str | None
    session_key_id: str = Field(pattern=r"^ASIA[A-Z2-7]{16}$")
    source_key_id: str
    issued_at: datetime
    expires_at: datetime


HISTORICAL_MODELS: tuple[type[AccessKeyIssuedV1] | type[SessionIssuedV1], ...] = (
    AccessKeyIssuedV1, SessionIssuedV1)
