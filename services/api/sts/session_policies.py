"""Session policies of STS calls: `Policy` and `PolicyArns`, and the `PackedPolicySize` AWS
returns for them (and the session tags)."""

from __future__ import annotations

import math
from typing import Any

from domain.errors import ValidationError
from domain.policy import PolicyKind, parse_policy, policy_size

MAX_POLICY_ARNS = 10
PACKED_LIMIT = 2_048
PACKED_MAX_PERCENT = 100


class PackedPolicyTooLarge(ValidationError):
    """Session policies and tags together exceed the packed budget."""

    code = "PackedPolicyTooLarge"

    @classmethod
    def of(cls, percent: int, account_id: str) -> PackedPolicyTooLarge:
        """The error for a request using `percent` of the budget."""
        return cls(f"Packed size of the session policies and session tags consumes {percent}% "
                   "of allotted space, please use smaller policies and tags.",
                   account_id=account_id)


def policy_arns(args: dict[str, Any]) -> tuple[str, ...]:
    """The `PolicyArns` of a request (at most 10)."""
    raw = args.get("PolicyArns") or []
    arns = tuple(str(item.get("arn", "")) if isinstance(item, dict) else str(item)
                 for item in raw)
    if len(arns) > MAX_POLICY_ARNS:
        raise ValidationError(
            f"1 validation error detected: Value at 'policyArns' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_POLICY_ARNS}")
    return arns


def inline_policy(args: dict[str, Any]) -> str | None:
    """The `Policy` of a request, parsed as a session policy (`MalformedPolicyDocument`)."""
    policy = args.get("Policy")
    if policy is None:
        return None
    parse_policy(str(policy), PolicyKind.SESSION)
    return str(policy)


def packed_policy_size(policy: str | None, arns: tuple[str, ...], extra: int = 0) -> int:
    """The percentage of the packed-policy budget used: iamlog does not compress, so it is
    ⌈100 × (policy size without whitespace + ARN lengths + `extra`) / 2,048⌉, at least 1."""
    packed = (policy_size(policy) if policy is not None else 0) \
        + sum(len(arn) for arn in arns) + extra
    return max(1, math.ceil(100 * packed / PACKED_LIMIT))
