"""The parsed, validated form of a policy document (what `parse_policy` returns)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.policy.kinds import PolicyKind

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


class Effect(StrEnum):
    """What a statement does when it applies."""

    ALLOW = "Allow"
    DENY = "Deny"


class PrincipalElement(BaseModel):
    """A `Principal`/`NotPrincipal` element: `*` or lists per principal type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


class ConditionClause(BaseModel):
    """One operator applied to one key: true if the request's value matches any of `values`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    operator: str
    key: str
    values: tuple[str, ...]


class Statement(BaseModel):
    """One statement; `not_*` flags turn the element into its complement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sid: str | None
    effect: Effect
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    principal: PrincipalElement | None = None
    not_principal: bool = False
    conditions: tuple[ConditionClause, ...] = ()


class PolicyDocument(BaseModel):
    """A validated policy document; `digest` identifies its content (whitespace aside)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    id: str | None
    statements: tuple[Statement, ...]
    kind: PolicyKind
    digest: str

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17."""
        return self.version == VERSION_2012
