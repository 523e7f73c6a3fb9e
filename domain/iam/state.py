"""The in-memory state of one account: enough to decide every command and to authorize every
call of its users (the api folds the event stream into it with `evolve`).

Large maps (users, keys, groups, policies) are `PMap`s so an event copies little; the small
per-entity collections (≤ 10 groups or attached policies, ≤ 50 tags, ≤ 5 versions) are tuples
or read-only dicts copied whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from domain import ids
from domain.iam.pmap import PMap

ROOT = ""  # owner of the root user's keys


@dataclass(frozen=True, slots=True)
class Context:
    """What `decide` needs from the outside world."""

    now: datetime
    ids: ids.IdSource
    master_key_version: int


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    """A policy embedded in one user, group or role."""

    name: str
    document: str


_NO_INLINE: Mapping[str, InlinePolicy] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class User:
    """An IAM user as the aggregate knows it."""

    name: str
    user_id: str
    path: str
    arn: str
    # (key, value) in insertion order; keys unique ignoring case
    tags: tuple[tuple[str, str], ...] = ()
    # by lower-cased policy name
    inline_policies: Mapping[str, InlinePolicy] = field(default_factory=lambda: _NO_INLINE)
    attached: tuple[str, ...] = ()  # managed policy ARNs, in attachment order
    groups: tuple[str, ...] = ()  # lower-cased names of its groups
    boundary: str | None = None  # permissions boundary: a managed policy ARN
    key_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Key:
    """An access key as the aggregate knows it (never its secret)."""

    key_id: str
    owner: str  # user name, or "" for root
    status: Literal["Active", "Inactive", "Expired"]
    last_used_at: datetime | None = None
    created_at: datetime | None = None
    # its own expiry, and the one that applies (the earliest with creation + maximum age)
    explicit_expires_at: datetime | None = None
    expires_at: datetime | None = None
    max_age_days: int | None = None
    rotation_noted: bool = False  # `rotation_due` emitted for the current expiry


@dataclass(frozen=True, slots=True)
class Group:
    """An IAM group: its members are known by count here (each user lists its groups)."""

    name: str
    group_id: str
    path: str
    arn: str
    member_count: int = 0
    inline_policies: Mapping[str, InlinePolicy] = field(default_factory=lambda: _NO_INLINE)
    attached: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    """An IAM role: its trust policy decides who may assume it, its policies what it may do."""

    name: str
    role_id: str
    path: str
    arn: str
    trust_policy: str
    max_session_duration: int  # seconds, 3,600–43,200
    description: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    inline_policies: Mapping[str, InlinePolicy] = field(default_factory=lambda: _NO_INLINE)
    attached: tuple[str, ...] = ()
    boundary: str | None = None
    # lower-cased names of the instance profiles holding the role
    instance_profiles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    """An instance profile: a container for at most one role, to which workloads are bound."""

    name: str
    profile_id: str
    path: str
    arn: str
    role: str | None = None  # the lower-cased name of the role it holds
    tags: tuple[tuple[str, str], ...] = ()
    # how many workloads are bound to it (a count: a profile may serve thousands, and each
    # binding must not copy a list of them)
    workload_count: int = 0


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload bound to an instance profile, and the sessions it holds.

    `sessions` are (session id, expiration) of the sessions issued and not yet known to have
    expired, newest last; the newest is the current one, the only one a renewal may replace.
    """

    name: str
    profile: str  # lower-cased instance profile name
    bearer_sha256: str
    sessions: tuple[tuple[str, datetime], ...] = ()

    @property
    def current_session_id(self) -> str | None:
        """The session a renewal must name, or None once its sessions were revoked."""
        return self.sessions[-1][0] if self.sessions else None


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An OpenID Connect identity provider whose tokens may assume roles that trust it."""

    arn: str
    url: str  # the issuer, `https://host/path`: a token's `iss` must equal it
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    created_at: datetime
    tags: tuple[tuple[str, str], ...] = ()
    jwks: str | None = None  # the JSON Web Key Set (public keys) as JSON text

    @property
    def key(self) -> str:
        """`host/path`: what follows `oidc-provider/` in the ARN, and the condition-key prefix
        (`<key>:sub`, `<key>:aud`)."""
        return self.arn.split(":oidc-provider/", 1)[1]


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One version of a managed policy."""

    version_id: str
    document: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A customer-managed policy with its versions."""

    name: str
    policy_id: str
    path: str
    arn: str
    description: str | None
    versions: Mapping[str, PolicyVersion]  # by version id ("v1", …)
    default_version: str
    next_version: int  # AWS never reuses a version number
    attachment_count: int = 0  # users, groups and roles it is attached to
    boundary_count: int = 0  # users and roles it bounds

    @property
    def default_document(self) -> str:
        """The document of the default version: the one that applies."""
        return self.versions[self.default_version].document


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session recorded in this account that has neither expired nor been revoked (yet)."""

    kind: str  # session_token, assumed_role, federated_user, workload
    principal_arn: str
    session_key_id: str
    expires_at: datetime
    role_arn: str | None = None  # the role a role or workload session acts as


def _empty() -> Mapping[str, object]:
    return PMap()


@dataclass(frozen=True, slots=True)
class AccountState:
    """Everything needed to decide commands for one account and authorize its users."""

    account_id: str
    exists: bool = False
    version: int = 0  # number of events applied: the next event's sequence
    users: Mapping[str, User] = field(default_factory=_empty)  # type: ignore[arg-type]
    keys: Mapping[str, Key] = field(default_factory=_empty)  # type: ignore[arg-type]
    groups: Mapping[str, Group] = field(default_factory=_empty)  # type: ignore[arg-type]
    policies: Mapping[str, ManagedPolicy] = field(default_factory=_empty)  # type: ignore[arg-type]
    roles: Mapping[str, Role] = field(default_factory=_empty)  # type: ignore[arg-type]
    instance_profiles: Mapping[str, InstanceProfile] = field(
        default_factory=_empty)  # type: ignore[arg-type]
    workloads: Mapping[str, Workload] = field(default_factory=_empty)  # type: ignore[arg-type]
    # by session id; a session leaves when it expires or is revoked
    sessions: Mapping[str, LiveSession] = field(default_factory=_empty)  # type: ignore[arg-type]
    # by `host/path` (the ARN's resource after `oidc-provider/`)
    oidc_providers: Mapping[str, OidcProvider] = field(
        default_factory=_empty)  # type: ignore[arg-type]
    root_keys: tuple[str, ...] = ()
    key_max_age_days: int | None = None  # the account's maximum access key age


def keys_of(state: AccountState, owner: str | None) -> list[Key]:
    """The access keys of a user (or of root, for None), oldest first."""
    if owner is None or owner == ROOT:
        key_ids = state.root_keys
    else:
        user = state.users.get(owner.lower())
        key_ids = user.key_ids if user is not None else ()
    return [state.keys[key_id] for key_id in key_ids]
