"""Who asks for what: the caller (`Principal`) and the request context the policies judge.

These are slotted dataclasses rather than pydantic models because one is built per decision
and construction cost is part of the latency budget.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from domain.policy.timeparse import format_instant

ContextValue = str | bool | int | float | bytes | datetime
ContextInput = ContextValue | Iterable[ContextValue]

_T = TypeVar("_T")


class PrincipalType(StrEnum):
    """The kind of caller; the values are those of the `aws:PrincipalType` key."""

    ACCOUNT = "Account"  # the root user of an account
    USER = "User"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    WEB_IDENTITY = "WebIdentityUser"
    SERVICE = "Service"
    ANONYMOUS = "Anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated (or anonymous) caller, as the evaluator needs to know it."""

    type: PrincipalType
    arn: str
    account: str | None
    user_id: str | None = None
    username: str | None = None
    role_arn: str | None = None
    provider: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def root(cls, account: str) -> Principal:
        """The root user of `account`."""
        return cls(PrincipalType.ACCOUNT, f"arn:aws:iam::{account}:root", account, account)

    @classmethod
    def user(cls, account: str, name: str, user_id: str, *, path: str = "/",
             tags: Mapping[str, str] | None = None) -> Principal:
        """An IAM user (its long-term access key signed the request)."""
        return cls(PrincipalType.USER, f"arn:aws:iam::{account}:user{path}{name}", account,
                   user_id, name, tags=dict(tags or {}))

    @classmethod
    def assumed_role(cls, account: str, role_name: str, session_name: str, role_id: str, *,
                     path: str = "/", tags: Mapping[str, str] | None = None) -> Principal:
        """A role session, as `AssumeRole` creates them."""
        return cls(PrincipalType.ASSUMED_ROLE,
                   f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}", account,
                   f"{role_id}:{session_name}",
                   role_arn=f"arn:aws:iam::{account}:role{path}{role_name}",
                   tags=dict(tags or {}))

    @classmethod
    def federated_user(cls, account: str, name: str) -> Principal:
        """A `GetFederationToken` session."""
        return cls(PrincipalType.FEDERATED_USER, f"arn:aws:sts::{account}:federated-user/{name}",
                   account, f"{account}:{name}")

    @classmethod
    def web_identity(cls, provider: str) -> Principal:
        """The bearer of an OIDC token from `provider` (an oidc-provider ARN or host)."""
        return cls(PrincipalType.WEB_IDENTITY, provider, None, provider=provider)

    @classmethod
    def service(cls, name: str) -> Principal:
        """An AWS-style service principal such as `ec2.amazonaws.com`."""
        return cls(PrincipalType.SERVICE, name, None, provider=name)

    @classmethod
    def anonymous(cls) -> Principal:
        """An unsigned request."""
        return cls(PrincipalType.ANONYMOUS, "*", None)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One request: action, resource, caller, the time and the condition keys.

    `context` holds request keys (`aws:SourceIp`, `sts:ExternalId`, `s3:prefix`, OIDC claims …);
    keys compare case-insensitively. Keys that describe the caller or the time
    (`aws:username`, `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
    `aws:PrincipalType`, `aws:PrincipalTag/*`, `aws:CurrentTime`, `aws:EpochTime`) are derived
    from `principal` and `now` and cannot be overridden. `resource_account` defaults to the
    account in the resource ARN, else the caller's account.
    """

    action: str
    resource: str
    principal: Principal
    now: datetime
    context: Mapping[str, ContextInput] = field(default_factory=dict)
    resource_account: str | None = None
    action_key: str = field(init=False)
    values: Mapping[str, tuple[str, ...]] = field(init=False)
    _memo: dict[tuple[str, str], object] = field(init=False, repr=False, compare=False)
    # results of (interned) conditions, so that a clause repeated across policies runs once
    outcomes: dict[object, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = {key.lower(): _normalise(value) for key, value in self.context.items()}
        values.update(_derived_keys(self.principal, self.now))
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "action_key", self.action.lower())
        object.__setattr__(self, "_memo", {})
        object.__setattr__(self, "outcomes", {})
        if self.resource_account is None:
            object.__setattr__(self, "resource_account", _account_of(self.resource)
                               or self.principal.account)

    def value_of(self, key: str) -> str | None:
        """The single value of a (lower-case) key, or None if absent or multivalued."""
        found = self.values.get(key)
        return found[0] if found is not None and len(found) == 1 else None

    def parsed(self, kind: str, text: str, parse: Callable[[str], _T]) -> _T:
        """`parse(text)`, computed once per request and kind."""
        memo_key = (kind, text)
        try:
            return self._memo[memo_key]  # type: ignore[return-value]
        except KeyError:
            result = self._memo[memo_key] = parse(text)
            return result

    @property
    def same_account(self) -> bool:
        """True unless the caller belongs to an account other than the resource's."""
        caller = self.principal.account
        return caller is None or self.resource_account in (None, caller)


def _normalise(value: ContextInput) -> tuple[str, ...]:
    if isinstance(value, str | bool | int | float | bytes | datetime):
        return (_text(value),)
    return tuple(_text(item) for item in value)


def _text(value: ContextValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _derived_keys(principal: Principal, now: datetime) -> dict[str, tuple[str, ...]]:
    keys: dict[str, tuple[str, ...]] = {
        "aws:principaltype": (principal.type.value,),
        "aws:currenttime": (format_instant(now),),
        "aws:epochtime": (str(int(now.timestamp())),),
    }
    if principal.account is not None:
        keys["aws:principalaccount"] = (principal.account,)
        keys["aws:principalarn"] = (principal.role_arn or principal.arn,)
    if principal.user_id is not None:
        keys["aws:userid"] = (principal.user_id,)
    if principal.username is not None:
        keys["aws:username"] = (principal.username,)
    for tag, tag_value in principal.tags.items():
        keys[f"aws:principaltag/{tag.lower()}"] = (tag_value,)
    return keys


def _account_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None
