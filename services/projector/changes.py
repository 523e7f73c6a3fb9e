"""Fold a batch of events into the net row changes it makes to the read models.

A batch is reduced in memory first, so each table gets at most one cascade delete, one delete
and one upsert statement per batch however many events it held (never one round trip per
event). Tables other than accounts, users and access keys are `RowChanges`: rows by primary
key, put or dropped, the last event winning. When a user, group, role or policy goes, its id joins
`gone`: rows that refer to it are deleted by id, and pending rows referring to it are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.ids import assumed_role_arn
from events.cloudevents import RecordedEvent
from events.schemas import (
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyExpired,
    AccessKeyExpirySet,
    AccessKeyIssued,
    AccessKeyRotationDue,
    AccessKeyRotationStarted,
    AccessKeyUsed,
    AccountCreated,
    AccountKeyMaxAgeSet,
    Event,
    GroupCreated,
    GroupDeleted,
    GroupMemberAdded,
    GroupMemberRemoved,
    InlinePolicyDeleted,
    InlinePolicyPut,
    InstanceProfileCreated,
    InstanceProfileDeleted,
    InstanceProfileRoleAdded,
    InstanceProfileRoleRemoved,
    InstanceProfileTagged,
    InstanceProfileUntagged,
    OidcProviderCreated,
    OidcProviderDeleted,
    OidcProviderUpdated,
    PermissionsBoundaryDeleted,
    PermissionsBoundaryPut,
    PolicyAttached,
    PolicyCreated,
    PolicyDefaultVersionSet,
    PolicyDeleted,
    PolicyDetached,
    PolicyVersionCreated,
    PolicyVersionDeleted,
    RoleAssumed,
    RoleBoundaryDeleted,
    RoleBoundaryPut,
    RoleCreated,
    RoleDeleted,
    RoleTagged,
    RoleTrustPolicyUpdated,
    RoleUntagged,
    RoleUpdated,
    SessionExpired,
    SessionIssued,
    SessionRenewed,
    SessionRevoked,
    UserCreated,
    UserDeleted,
    UserTagged,
    UserUntagged,
    UserUpdated,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)
from services.projector.session_rows import SessionChanges, SessionRow

UserKey = tuple[str, str]  # (account id, lower-cased name)
Row = tuple[Any, ...]


@dataclass(slots=True)
class AccountRow:
    """A row of `accounts` (or only a version bump when `created_at` is None)."""

    account_id: str
    root_arn: str | None
    created_at: datetime | None
    version: int


@dataclass(slots=True)
class UserRow:
    """A row of `users`."""

    account_id: str
    name_key: str
    user_name: str
    user_id: str
    path: str
    arn: str
    created_at: datetime


@dataclass(slots=True)
class UserRename:
    """A user renamed or moved since the batch began (`old_name`: its name in the table)."""

    account_id: str
    old_name: str
    user_name: str
    path: str
    arn: str


@dataclass(slots=True)
class KeyRow:
    """A row of `access_keys` (status-only when `created_at` is None: the row predates us)."""

    access_key_id: str
    account_id: str
    user_name: str | None
    owner_arn: str
    status: str
    created_at: datetime | None


@dataclass(slots=True)
class RowChanges:
    """Net changes to one table whose rows are whole facts: put by key or dropped by key."""

    upserts: dict[Row, Row] = field(default_factory=dict)  # key columns → all columns
    deletes: set[Row] = field(default_factory=set)

    def put(self, row: Row, key_size: int) -> None:
        """Insert or replace the row whose key is its first `key_size` columns."""
        key = row[:key_size]
        self.deletes.discard(key)
        self.upserts[key] = row

    def drop(self, key: Row) -> None:
        """Delete the row with this key."""
        self.upserts.pop(key, None)
        self.deletes.add(key)

    def live_rows(self, gone: set[str]) -> list[Row]:
        """Pending rows, except those whose key names an entity deleted in this batch."""
        return [row for key, row in self.upserts.items() if not gone.intersection(key)]


# Each table of RowChanges: (columns with their Postgres types, number of key columns,
# columns holding entity ids that a deleted entity's rows are found by).
TABLES: dict[str, tuple[tuple[tuple[str, str], ...], int, tuple[str, ...]]] = {
    "user_tags": ((("user_id", "text"), ("key_lower", "text"), ("account_id", "text"),
                   ("tag_key", "text"), ("tag_value", "text")), 2, ("user_id",)),
    "groups": ((("group_id", "text"), ("account_id", "text"), ("name_key", "text"),
                ("group_name", "text"), ("path", "text"), ("arn", "text"),
                ("created_at", "timestamptz")), 1, ("group_id",)),
    "group_members": ((("group_id", "text"), ("user_id", "text"), ("account_id", "text")), 2,
                      ("group_id", "user_id")),
    "policies": ((("policy_id", "text"), ("account_id", "text"), ("name_key", "text"),
                  ("policy_name", "text"), ("path", "text"), ("arn", "text"),
                  ("description", "text"), ("created_at", "timestamptz")), 1, ("policy_id",)),
    "policy_versions": ((("policy_id", "text"), ("version_id", "text"), ("account_id", "text"),
                         ("document", "text"), ("created_at", "timestamptz")), 2,
                        ("policy_id",)),
    "policy_defaults": ((("policy_id", "text"), ("version_id", "text")), 1, ("policy_id",)),
    "policy_attachments": ((("policy_id", "text"), ("entity_type", "text"),
                            ("entity_id", "text"), ("account_id", "text")), 3,
                           ("policy_id", "entity_id")),
    "inline_policies": ((("entity_type", "text"), ("entity_id", "text"), ("name_key", "text"),
                         ("account_id", "text"), ("policy_name", "text"), ("document", "text")),
                        3, ("entity_id",)),
    "user_boundaries": ((("user_id", "text"), ("account_id", "text"), ("policy_id", "text"),
                         ("policy_arn", "text")), 1, ("user_id", "policy_id")),
    "roles": ((("role_id", "text"), ("account_id", "text"), ("name_key", "text"),
               ("role_name", "text"), ("path", "text"), ("arn", "text"),
               ("created_at", "timestamptz")), 1, ("role_id",)),
    "role_settings": ((("role_id", "text"), ("account_id", "text"), ("description", "text"),
                       ("max_session_duration", "integer")), 1, ("role_id",)),
    "role_trust_policies": ((("role_id", "text"), ("account_id", "text"),
                             ("document", "text")), 1, ("role_id",)),
    "role_tags": ((("role_id", "text"), ("key_lower", "text"), ("account_id", "text"),
                   ("tag_key", "text"), ("tag_value", "text")), 2, ("role_id",)),
    "access_key_schedule": ((("access_key_id", "text"), ("account_id", "text"),
                             ("expires_at", "timestamptz"), ("rotation_due_at", "timestamptz"),
                             ("rotation_noted", "boolean")), 1, ("access_key_id",)),
    "access_key_rotations": ((("access_key_id", "text"), ("account_id", "text"),
                              ("new_access_key_id", "text"), ("disable_at", "timestamptz"),
                              ("delete_at", "timestamptz")), 1, ("access_key_id",)),
    "role_boundaries": ((("role_id", "text"), ("account_id", "text"), ("policy_id", "text"),
                         ("policy_arn", "text")), 1, ("role_id", "policy_id")),
    "instance_profiles": ((("profile_id", "text"), ("account_id", "text"), ("name_key", "text"),
                           ("profile_name", "text"), ("path", "text"), ("arn", "text"),
                           ("created_at", "timestamptz")), 1, ("profile_id",)),
    "instance_profile_roles": ((("profile_id", "text"), ("account_id", "text"),
                                ("role_id", "text")), 1, ("profile_id", "role_id")),
    "instance_profile_tags": ((("profile_id", "text"), ("key_lower", "text"),
                               ("account_id", "text"), ("tag_key", "text"),
                               ("tag_value", "text")), 2, ("profile_id",)),
    "workloads": ((("account_id", "text"), ("name_key", "text"), ("workload", "text"),
                   ("profile_id", "text"), ("bound_at", "timestamptz")), 2, ("profile_id",)),
}


@dataclass(slots=True)
class Changes:
    """The net effect of a batch on each table."""

    accounts: dict[str, AccountRow] = field(default_factory=dict)
    user_upserts: dict[UserKey, UserRow] = field(default_factory=dict)
    user_deletes: set[str] = field(default_factory=set)  # user ids
    user_renames: dict[str, UserRename] = field(default_factory=dict)  # by user id
    key_upserts: dict[str, KeyRow] = field(default_factory=dict)
    key_deletes: set[str] = field(default_factory=set)
    key_uses: dict[str, tuple[datetime, str, str]] = field(default_factory=dict)
    tables: dict[str, RowChanges] = field(
        default_factory=lambda: {name: RowChanges() for name in TABLES})
    gone: set[str] = field(default_factory=set)  # ids of users, groups, policies deleted
    sessions: SessionChanges = field(default_factory=SessionChanges)
    events: int = 0

    def add(self, recorded: RecordedEvent) -> None:
        """Fold one event in; later events of the batch override earlier ones."""
        event = recorded.event
        self.events += 1
        self._bump(event.account_id, recorded.meta.sequence)
        # A dict lookup by exact type: this runs once per event on the projector's hot path.
        _HANDLERS[type(event)](self, event)

    def table_changes(self) -> Iterator[tuple[str, RowChanges]]:
        """Each `RowChanges` table with its pending changes."""
        yield from self.tables.items()

    def _put(self, table: str, *row: Any) -> None:
        self.tables[table].put(row, TABLES[table][1])

    def _drop(self, table: str, *key: Any) -> None:
        self.tables[table].drop(key)

    # --- accounts, users, keys ------------------------------------------------------------

    def _account_created(self, event: AccountCreated) -> None:
        account = self.accounts[event.account_id]
        account.root_arn = f"arn:aws:iam::{event.account_id}:root"
        account.created_at = event.created_at

    def _user_created(self, event: UserCreated) -> None:
        key = (event.account_id, event.user_name.lower())
        self.user_upserts[key] = UserRow(
            event.account_id, key[1], event.user_name, event.user_id, event.path,
            event.arn, event.created_at,
        )

    def _user_deleted(self, event: UserDeleted) -> None:
        key = (event.account_id, event.user_name.lower())
        pending = self.user_upserts.get(key)
        if pending is not None and pending.user_id == event.user_id:
            del self.user_upserts[key]
        self.user_renames.pop(event.user_id, None)
        self.user_deletes.add(event.user_id)
        self.gone.add(event.user_id)

    def _user_updated(self, event: UserUpdated) -> None:
        old_key = (event.account_id, event.user_name.lower())
        pending = self.user_upserts.get(old_key)
        if pending is not None and pending.user_id == event.user_id:
            del self.user_upserts[old_key]
            pending.name_key = event.new_user_name.lower()
            pending.user_name, pending.path, pending.arn = (
                event.new_user_name, event.new_path, event.arn)
            self.user_upserts[(event.account_id, pending.name_key)] = pending
        else:
            earlier = self.user_renames.get(event.user_id)
            self.user_renames[event.user_id] = UserRename(
                event.account_id, earlier.old_name if earlier else event.user_name,
                event.new_user_name, event.new_path, event.arn)
        for key_row in self.key_upserts.values():
            if (key_row.account_id, key_row.user_name) == (event.account_id, event.user_name):
                key_row.user_name, key_row.owner_arn = event.new_user_name, event.arn

    def _user_tagged(self, event: UserTagged) -> None:
        for tag in event.tags:
            self._put("user_tags", event.user_id, tag.key.lower(), event.account_id, tag.key,
                      tag.value)

    def _user_untagged(self, event: UserUntagged) -> None:
        for key in event.tag_keys:
            self._drop("user_tags", event.user_id, key.lower())

    def _key_issued(self, event: AccessKeyIssued) -> None:
        self.key_deletes.discard(event.access_key_id)
        self.key_upserts[event.access_key_id] = KeyRow(
            event.access_key_id, event.account_id, event.user_name, event.owner_arn,
            "Active", event.created_at,
        )

    def _key_status(self, event: AccessKeyDisabled | AccessKeyEnabled | AccessKeyExpired,
                    ) -> None:
        status = ("Inactive" if isinstance(event, AccessKeyDisabled)
                  else "Expired" if isinstance(event, AccessKeyExpired) else "Active")
        key_row = self.key_upserts.get(event.access_key_id)
        if key_row is None:
            key_row = KeyRow(event.access_key_id, event.account_id, event.user_name,
                             event.owner_arn, status, None)
            self.key_upserts[event.access_key_id] = key_row
        key_row.status = status

    def _key_deleted(self, event: AccessKeyDeleted) -> None:
        self.key_upserts.pop(event.access_key_id, None)
        self.key_uses.pop(event.access_key_id, None)
        self.key_deletes.add(event.access_key_id)
        self._drop("access_key_schedule", event.access_key_id)
        self._drop("access_key_rotations", event.access_key_id)

    def _key_expiry_set(self, event: AccessKeyExpirySet) -> None:
        if event.expires_at is None or event.rotation_due_at is None:
            self._drop("access_key_schedule", event.access_key_id)
        else:
            self._put("access_key_schedule", event.access_key_id, event.account_id,
                      event.expires_at, event.rotation_due_at, False)

    def _key_rotation_due(self, event: AccessKeyRotationDue) -> None:
        self._put("access_key_schedule", event.access_key_id, event.account_id,
                  event.expires_at, event.rotation_due_at, True)

    def _key_rotation_started(self, event: AccessKeyRotationStarted) -> None:
        self._put("access_key_rotations", event.access_key_id, event.account_id,
                  event.new_access_key_id, event.disable_at, event.delete_at)

    def _key_used(self, event: AccessKeyUsed) -> None:
        self.key_uses[event.access_key_id] = (event.used_at, event.service, event.region)

    # --- groups, policies -----------------------------------------------------------------

    def _group_created(self, event: GroupCreated) -> None:
        self._put("groups", event.group_id, event.account_id, event.group_name.lower(),
                  event.group_name, event.path, event.arn, event.created_at)

    def _group_deleted(self, event: GroupDeleted) -> None:
        self._drop("groups", event.group_id)
        self.gone.add(event.group_id)

    def _member_added(self, event: GroupMemberAdded) -> None:
        self._put("group_members", event.group_id, event.user_id, event.account_id)

    def _member_removed(self, event: GroupMemberRemoved) -> None:
        self._drop("group_members", event.group_id, event.user_id)

    def _policy_created(self, event: PolicyCreated) -> None:
        self._put("policies", event.policy_id, event.account_id, event.policy_name.lower(),
                  event.policy_name, event.path, event.arn, event.description, event.created_at)
        self._put("policy_versions", event.policy_id, "v1", event.account_id, event.document,
                  event.created_at)
        self._put("policy_defaults", event.policy_id, "v1")

    def _version_created(self, event: PolicyVersionCreated) -> None:
        self._put("policy_versions", event.policy_id, event.version_id, event.account_id,
                  event.document, event.created_at)
        if event.set_as_default:
            self._put("policy_defaults", event.policy_id, event.version_id)

    def _version_deleted(self, event: PolicyVersionDeleted) -> None:
        self._drop("policy_versions", event.policy_id, event.version_id)

    def _default_set(self, event: PolicyDefaultVersionSet) -> None:
        self._put("policy_defaults", event.policy_id, event.version_id)

    def _policy_deleted(self, event: PolicyDeleted) -> None:
        self._drop("policies", event.policy_id)
        self.gone.add(event.policy_id)

    def _attached(self, event: PolicyAttached) -> None:
        self._put("policy_attachments", event.policy_id, event.entity_type, event.entity_id,
                  event.account_id)

    def _detached(self, event: PolicyDetached) -> None:
        self._drop("policy_attachments", event.policy_id, event.entity_type, event.entity_id)

    def _inline_put(self, event: InlinePolicyPut) -> None:
        self._put("inline_policies", event.entity_type, event.entity_id,
                  event.policy_name.lower(), event.account_id, event.policy_name,
                  event.document)

    def _inline_deleted(self, event: InlinePolicyDeleted) -> None:
        self._drop("inline_policies", event.entity_type, event.entity_id,
                   event.policy_name.lower())

    def _boundary_put(self, event: PermissionsBoundaryPut) -> None:
        self._put("user_boundaries", event.user_id, event.account_id, event.policy_id,
                  event.policy_arn)

    def _boundary_deleted(self, event: PermissionsBoundaryDeleted) -> None:
        self._drop("user_boundaries", event.user_id)

    # --- roles --------------------------------------------------------------------------

    def _role_created(self, event: RoleCreated) -> None:
        self._put("roles", event.role_id, event.account_id, event.role_name.lower(),
                  event.role_name, event.path, event.arn, event.created_at)
        self._put("role_settings", event.role_id, event.account_id, event.description,
                  event.max_session_duration)
        self._put("role_trust_policies", event.role_id, event.account_id, event.trust_policy)
        for tag in event.tags:
            self._put("role_tags", event.role_id, tag.key.lower(), event.account_id, tag.key,
                      tag.value)

    def _role_deleted(self, event: RoleDeleted) -> None:
        self._drop("roles", event.role_id)
        self.gone.add(event.role_id)

    def _role_updated(self, event: RoleUpdated) -> None:
        self._put("role_settings", event.role_id, event.account_id, event.description,
                  event.max_session_duration)

    def _role_trust(self, event: RoleTrustPolicyUpdated) -> None:
        self._put("role_trust_policies", event.role_id, event.account_id, event.trust_policy)

    def _role_tagged(self, event: RoleTagged) -> None:
        for tag in event.tags:
            self._put("role_tags", event.role_id, tag.key.lower(), event.account_id, tag.key,
                      tag.value)

    def _role_untagged(self, event: RoleUntagged) -> None:
        for key in event.tag_keys:
            self._drop("role_tags", event.role_id, key.lower())

    def _role_boundary_put(self, event: RoleBoundaryPut) -> None:
        self._put("role_boundaries", event.role_id, event.account_id, event.policy_id,
                  event.policy_arn)

    def _role_boundary_deleted(self, event: RoleBoundaryDeleted) -> None:
        self._drop("role_boundaries", event.role_id)

    # --- instance profiles and workloads ----------------------------------------------------

    def _profile_created(self, event: InstanceProfileCreated) -> None:
        self._put("instance_profiles", event.profile_id, event.account_id,
                  event.profile_name.lower(), event.profile_name, event.path, event.arn,
                  event.created_at)
        self._profile_tagged(event)

    def _profile_deleted(self, event: InstanceProfileDeleted) -> None:
        self._drop("instance_profiles", event.profile_id)
        self.gone.add(event.profile_id)

    def _profile_role_added(self, event: InstanceProfileRoleAdded) -> None:
        self._put("instance_profile_roles", event.profile_id, event.account_id, event.role_id)

    def _profile_role_removed(self, event: InstanceProfileRoleRemoved) -> None:
        self._drop("instance_profile_roles", event.profile_id)
        for session_id in event.revoked_session_ids:
            self.sessions.ended(session_id, "revoked", event.removed_at,
                                "role removed from the instance profile")

    def _profile_tagged(self, event: InstanceProfileTagged | InstanceProfileCreated) -> None:
        for tag in event.tags:
            self._put("instance_profile_tags", event.profile_id, tag.key.lower(),
                      event.account_id, tag.key, tag.value)

    def _profile_untagged(self, event: InstanceProfileUntagged) -> None:
        for key in event.tag_keys:
            self._drop("instance_profile_tags", event.profile_id, key.lower())

    def _workload_bound(self, event: WorkloadBound) -> None:
        self._put("workloads", event.account_id, event.workload.lower(), event.workload,
                  event.profile_id, event.bound_at)

    def _workload_unbound(self, event: WorkloadUnbound) -> None:
        self._drop("workloads", event.account_id, event.workload.lower())
        for session_id in event.revoked_session_ids:
            self.sessions.ended(session_id, "revoked", event.unbound_at, "workload unbound")

    # --- sessions -----------------------------------------------------------------------

    def _session_issued(self, event: SessionIssued) -> None:
        self.sessions.issued(SessionRow(
            event.session_id, event.account_id, event.session_kind, event.principal_arn, None,
            None, None, event.session_key_id, event.issued_at, event.expires_at))

    def _role_assumed(self, event: RoleAssumed) -> None:
        self.sessions.issued(SessionRow(
            event.session_id, event.account_id, "assumed_role",
            assumed_role_arn(event.account_id, event.role_name, event.role_session_name),
            event.role_arn, None, None, event.session_key_id,
            event.issued_at, event.expires_at))

    def _workload_session(self, event: WorkloadSessionIssued | SessionRenewed) -> None:
        if isinstance(event, SessionRenewed):
            self.sessions.renewed(event.old_session_id, event.session_id)
        self.sessions.issued(SessionRow(
            event.session_id, event.account_id, "workload",
            assumed_role_arn(event.account_id, event.role_name, event.workload), event.role_arn,
            event.workload, event.profile_name, event.session_key_id, event.issued_at,
            event.expires_at), renewable=True)

    def _session_expired(self, event: SessionExpired) -> None:
        self.sessions.ended(event.session_id, "expired", event.expires_at, None)

    def _session_revoked(self, event: SessionRevoked) -> None:
        self.sessions.ended(event.session_id, "revoked", event.revoked_at, event.reason)

    def _bump(self, account_id: str, sequence: int) -> None:
        row = self.accounts.get(account_id)
        if row is None:
            self.accounts[account_id] = AccountRow(account_id, None, None, sequence)
        else:
            row.version = max(row.version, sequence)


_HANDLERS: dict[type[Event], Callable[[Changes, Any], None]] = {
    AccountCreated: Changes._account_created,
    UserCreated: Changes._user_created,
    UserDeleted: Changes._user_deleted,
    UserUpdated: Changes._user_updated,
    UserTagged: Changes._user_tagged,
    UserUntagged: Changes._user_untagged,
    AccessKeyIssued: Changes._key_issued,
    AccessKeyDisabled: Changes._key_status,
    AccessKeyEnabled: Changes._key_status,
    AccessKeyDeleted: Changes._key_deleted,
    AccessKeyExpired: Changes._key_status,
    AccessKeyExpirySet: Changes._key_expiry_set,
    AccessKeyRotationDue: Changes._key_rotation_due,
    AccessKeyRotationStarted: Changes._key_rotation_started,
    # Its effect on each key is its own `expiry_set` event.
    AccountKeyMaxAgeSet: lambda _changes, _event: None,
    AccessKeyUsed: Changes._key_used,
    SessionIssued: Changes._session_issued,
    RoleAssumed: Changes._role_assumed,
    SessionExpired: Changes._session_expired,
    SessionRevoked: Changes._session_revoked,
    # OpenID Connect providers are read from the api's identity index, not from a table.
    OidcProviderCreated: lambda _changes, _event: None,
    OidcProviderUpdated: lambda _changes, _event: None,
    OidcProviderDeleted: lambda _changes, _event: None,
    GroupCreated: Changes._group_created,
    GroupDeleted: Changes._group_deleted,
    GroupMemberAdded: Changes._member_added,
    GroupMemberRemoved: Changes._member_removed,
    PolicyCreated: Changes._policy_created,
    PolicyVersionCreated: Changes._version_created,
    PolicyVersionDeleted: Changes._version_deleted,
    PolicyDefaultVersionSet: Changes._default_set,
    PolicyDeleted: Changes._policy_deleted,
    PolicyAttached: Changes._attached,
    PolicyDetached: Changes._detached,
    InlinePolicyPut: Changes._inline_put,
    InlinePolicyDeleted: Changes._inline_deleted,
    PermissionsBoundaryPut: Changes._boundary_put,
    PermissionsBoundaryDeleted: Changes._boundary_deleted,
    RoleCreated: Changes._role_created,
    RoleDeleted: Changes._role_deleted,
    RoleUpdated: Changes._role_updated,
    RoleTrustPolicyUpdated: Changes._role_trust,
    RoleTagged: Changes._role_tagged,
    RoleUntagged: Changes._role_untagged,
    RoleBoundaryPut: Changes._role_boundary_put,
    RoleBoundaryDeleted: Changes._role_boundary_deleted,
    InstanceProfileCreated: Changes._profile_created,
    InstanceProfileDeleted: Changes._profile_deleted,
    InstanceProfileRoleAdded: Changes._profile_role_added,
    InstanceProfileRoleRemoved: Changes._profile_role_removed,
    InstanceProfileTagged: Changes._profile_tagged,
    InstanceProfileUntagged: Changes._profile_untagged,
    WorkloadBound: Changes._workload_bound,
    WorkloadUnbound: Changes._workload_unbound,
    WorkloadSessionIssued: Changes._workload_session,
    SessionRenewed: Changes._workload_session,
}
