"""Small builders that keep the policy tests about policies, not boilerplate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.policy import (
    CompiledPolicy,
    PolicyKind,
    Principal,
    RequestContext,
    compile_policy,
    parse_policy,
)
from domain.policy.context import ContextInput

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALICE = Principal.user(ACCOUNT, "alice", "AIDAALICE0000000000", tags={"team": "data"})


def document(*statements: Mapping[str, Any], version: str = "2012-10-17") -> str:
    """A policy document holding `statements`."""
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(action: str | list[str] = "*", resource: str | list[str] = "*",
          **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str] = "*", resource: str | list[str] = "*",
         **extra: Any) -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def compiled(*statements: Mapping[str, Any], kind: PolicyKind = PolicyKind.MANAGED,
             policy_id: str = "policy", version: str = "2012-10-17") -> CompiledPolicy:
    """Parse and compile a policy made of `statements`."""
    return compile_policy(parse_policy(document(*statements, version=version), kind), policy_id)


def request(action: str = "s3:GetObject", resource: str = "arn:aws:s3:::bucket/key", *,
            principal: Principal = ALICE, context: Mapping[str, ContextInput] | None = None,
            now: datetime = NOW, resource_account: str | None = None) -> RequestContext:
    """A request by alice unless told otherwise."""
    return RequestContext(action=action, resource=resource, principal=principal, now=now,
                          context=dict(context or {}), resource_account=resource_account)
