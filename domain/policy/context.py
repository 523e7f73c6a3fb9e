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
    condition_keys: Mapping[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "condition_keys", _principal_keys(self))

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
    def federated_user(cls, account: str, name: str, *,
                       tags: Mapping[str, str] | None = None) -> Principal:
        """A `GetFederationToken` session (its session tags as principal tags)."""
        return cls(PrincipalType.FEDERATED_USER, f"arn:aws:sts::{account}:federated-user/{name}",
                   account, f"{account}:{name}", tags=dict(tags or {}))

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


class RequestContext:
    """One request: action, resource, caller, the time and the condition keys.

    `context` holds request keys (`aws:SourceIp`, `sts:ExternalId`, `s3:prefix`, OIDC claims …);
    keys compare case-insensitively. Keys that describe the caller or the time
    (`aws:username`, `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
    `aws:PrincipalType`, `aws:PrincipalTag/*`, `aws:CurrentTime`, `aws:EpochTime`) are derived
    from `principal` and `now` and cannot be overridden. `resource_account` defaults to the
    account in the resource ARN, else the caller's account.

    A plain slotted class rather than a frozen model: one is built per decision, and its
    construction is part of every request's latency. Treat it as immutable; `with_action`
    derives a sibling request.
    """

    __slots__ = ("_memo", "action", "action_key", "context", "now", "outcomes", "principal",
                 "resource", "resource_account", "values")

    def __init__(self, *, action: str, resource: str, principal: Principal, now: datetime,
                 context: Mapping[str, ContextInput] | None = None,
                 resource_account: str | None = None) -> None:
        self.action = action
        self.resource = resource
        self.principal = principal
        self.now = now
        self.context: Mapping[str, ContextInput] = context or {}
        self.action_key = action.lower()
        self.resource_account = resource_account or _account_of(resource) or principal.account
        values = {key.lower(): (value,) if type(value) is str else _normalise(value)
                  for key, value in self.context.items()}
        values.update(principal.condition_keys)
        # every request key and principal key, lower-cased; time keys come from `lookup`
        self.values: dict[str, tuple[str, ...]] = values
        self._memo: dict[tuple[str, str], object] = {}
        # results of (interned) conditions, so that a clause repeated across policies runs once
        self.outcomes: dict[object, bool] = {}

    def __repr__(self) -> str:
        return (f"RequestContext(action={self.action!r}, resource={self.resource!r}, "
                f"principal={self.principal.arn!r}, now={self.now.isoformat()!r})")

    def with_action(self, action: str) -> RequestContext:
        """The same request for another action."""
        return RequestContext(action=action, resource=self.resource, principal=self.principal,
                              now=self.now, context=self.context,
                              resource_account=self.resource_account)

    def lookup(self, key: str) -> tuple[str, ...] | None:
        """The values of a (lower-case) key, or None when the request has none."""
        if key in TIME_KEYS:
            return self.parsed("time", key, self._time_value)
        return self.values.get(key)

    def value_of(self, key: str) -> str | None:
        """The single value of a (lower-case) key, or None if absent or multivalued."""
        found = self.lookup(key)
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

    def _time_value(self, key: str) -> tuple[str, ...]:
        if key == "aws:currenttime":
            return (format_instant(self.now),)
        return (str(int(self.now.timestamp())),)


# keys computed from `now` when a policy asks for them, not at every request
TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})


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


def _principal_keys(principal: Principal) -> dict[str, tuple[str, ...]]:
    keys: dict[str, tuple[str, ...]] = {"aws:principaltype": (principal.type.value,)}
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
