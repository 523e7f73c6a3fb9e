"""Commands: what a caller asks of an account. Imperative names; decided by `domain.account`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from events.schemas.tags import Tag


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CreateAccount(_Command):
    """Create the account and its root user's first access key."""

    kind: Literal["CreateAccount"] = "CreateAccount"


class CreateUser(_Command):
    """Create an IAM user."""

    kind: Literal["CreateUser"] = "CreateUser"
    user_name: str
    path: str = "/"


class DeleteUser(_Command):
    """Delete an IAM user that has no access keys, policies or group memberships left."""

    kind: Literal["DeleteUser"] = "DeleteUser"
    user_name: str


class CreateAccessKey(_Command):
    """Issue an access key to a user, or to the root user when `user_name` is None."""

    kind: Literal["CreateAccessKey"] = "CreateAccessKey"
    user_name: str | None = None


class UpdateAccessKey(_Command):
    """Set an access key Active or Inactive."""

    kind: Literal["UpdateAccessKey"] = "UpdateAccessKey"
    access_key_id: str
    status: Literal["Active", "Inactive"]
    user_name: str | None = None


class DeleteAccessKey(_Command):
    """Delete an access key."""

    kind: Literal["DeleteAccessKey"] = "DeleteAccessKey"
    access_key_id: str
    user_name: str | None = None



class UpdateUser(_Command):
    """Rename a user and/or move it to another path."""

    kind: Literal["UpdateUser"] = "UpdateUser"
    user_name: str
    new_user_name: str | None = None
    new_path: str | None = None


class TagUser(_Command):
    """Add tags to a user; a key present already (ignoring case) gets the new value."""

    kind: Literal["TagUser"] = "TagUser"
    user_name: str
    tags: tuple[Tag, ...]


class UntagUser(_Command):
    """Remove tags from a user by key (ignoring case); absent keys are ignored."""

    kind: Literal["UntagUser"] = "UntagUser"
    user_name: str
    tag_keys: tuple[str, ...]


class CreateGroup(_Command):
    """Create an IAM group."""

    kind: Literal["CreateGroup"] = "CreateGroup"
    group_name: str
    path: str = "/"


class DeleteGroup(_Command):
    """Delete a group that has no members and no policies left."""

    kind: Literal["DeleteGroup"] = "DeleteGroup"
    group_name: str


class AddUserToGroup(_Command):
    """Make a user a member of a group."""

    kind: Literal["AddUserToGroup"] = "AddUserToGroup"
    group_name: str
    user_name: str


class RemoveUserFromGroup(_Command):
    """Remove a user from a group."""

    kind: Literal["RemoveUserFromGroup"] = "RemoveUserFromGroup"
    group_name: str
    user_name: str


class CreatePolicy(_Command):
    """Create a customer-managed policy; its document becomes version `v1`, the default."""

    kind: Literal["CreatePolicy"] = "CreatePolicy"
    policy_name: str
    policy_document: str
    path: str = "/"
    description: str | None = None


class CreatePolicyVersion(_Command):
    """Add a version to a managed policy (at most 5 versions)."""

    kind: Literal["CreatePolicyVersion"] = "CreatePolicyVersion"
    policy_arn: str
    policy_document: str
    set_as_default: bool = False


class DeletePolicyVersion(_Command):
    """Delete a version of a managed policy that is not its default."""

    kind: Literal["DeletePolicyVersion"] = "DeletePolicyVersion"
    policy_arn: str
    version_id: str


class SetDefaultPolicyVersion(_Command):
    """Make a version of a managed policy its default (the one that applies)."""

    kind: Literal["SetDefaultPolicyVersion"] = "SetDefaultPolicyVersion"
    policy_arn: str
    version_id: str


class DeletePolicy(_Command):
    """Delete a managed policy that is attached nowhere and has only its default version."""

    kind: Literal["DeletePolicy"] = "DeletePolicy"
    policy_arn: str


class AttachUserPolicy(_Command):
    """Attach a managed policy to a user (at most 10 per user)."""

    kind: Literal["AttachUserPolicy"] = "AttachUserPolicy"
    user_name: str
    policy_arn: str


class DetachUserPolicy(_Command):
    """Detach a managed policy from a user."""

    kind: Literal["DetachUserPolicy"] = "DetachUserPolicy"
    user_name: str
    policy_arn: str


class AttachGroupPolicy(_Command):
    """Attach a managed policy to a group (at most 10 per group)."""

    kind: Literal["AttachGroupPolicy"] = "AttachGroupPolicy"
    group_name: str
    policy_arn: str


class DetachGroupPolicy(_Command):
    """Detach a managed policy from a group."""

    kind: Literal["DetachGroupPolicy"] = "DetachGroupPolicy"
    group_name: str
    policy_arn: str


class PutUserPolicy(_Command):
    """Add or replace an inline policy of a user."""

    kind: Literal["PutUserPolicy"] = "PutUserPolicy"
    user_name: str
    policy_name: str
    policy_document: str


class DeleteUserPolicy(_Command):
    """Remove an inline policy from a user."""

    kind: Literal["DeleteUserPolicy"] = "DeleteUserPolicy"
    user_name: str
    policy_name: str


class PutGroupPolicy(_Command):
    """Add or replace an inline policy of a group."""

    kind: Literal["PutGroupPolicy"] = "PutGroupPolicy"
    group_name: str
    policy_name: str
    policy_document: str


class DeleteGroupPolicy(_Command):
    """Remove an inline policy from a group."""

    kind: Literal["DeleteGroupPolicy"] = "DeleteGroupPolicy"
    group_name: str
    policy_name: str


class PutUserPermissionsBoundary(_Command):
    """Set a managed policy as a user's permissions boundary."""

    kind: Literal["PutUserPermissionsBoundary"] = "PutUserPermissionsBoundary"
    user_name: str
    permissions_boundary: str


class DeleteUserPermissionsBoundary(_Command):
    """Remove a user's permissions boundary."""

    kind: Literal["DeleteUserPermissionsBoundary"] = "DeleteUserPermissionsBoundary"
    user_name: str


class CreateRole(_Command):
    """Create an IAM role with a trust policy (who may assume it)."""

    kind: Literal["CreateRole"] = "CreateRole"
    role_name: str
    assume_role_policy_document: str
    path: str = "/"
    description: str | None = None
    max_session_duration: int = 3600
    tags: tuple[Tag, ...] = ()
    permissions_boundary: str | None = None  # a managed policy ARN


class UpdateRole(_Command):
    """Change a role's description and/or maximum session duration (None: unchanged)."""

    kind: Literal["UpdateRole"] = "UpdateRole"
    role_name: str
    description: str | None = None
    max_session_duration: int | None = None


class UpdateAssumeRolePolicy(_Command):
    """Replace a role's trust policy."""

    kind: Literal["UpdateAssumeRolePolicy"] = "UpdateAssumeRolePolicy"
    role_name: str
    policy_document: str


class DeleteRole(_Command):
    """Delete a role that has no policies or instance profiles left."""

    kind: Literal["DeleteRole"] = "DeleteRole"
    role_name: str


class TagRole(_Command):
    """Add tags to a role; a key present already (ignoring case) gets the new value."""

    kind: Literal["TagRole"] = "TagRole"
    role_name: str
    tags: tuple[Tag, ...]


class UntagRole(_Command):
    """Remove tags from a role by key (ignoring case); absent keys are ignored."""

    kind: Literal["UntagRole"] = "UntagRole"
    role_name: str
    tag_keys: tuple[str, ...]


class AttachRolePolicy(_Command):
    """Attach a managed policy to a role (at most 10 per role)."""

    kind: Literal["AttachRolePolicy"] = "AttachRolePolicy"
    role_name: str
    policy_arn: str


class DetachRolePolicy(_Command):
    """Detach a managed policy from a role."""

    kind: Literal["DetachRolePolicy"] = "DetachRolePolicy"
    role_name: str
    policy_arn: str


class PutRolePolicy(_Command):
    """Add or replace an inline policy of a role."""

    kind: Literal["PutRolePolicy"] = "PutRolePolicy"
    role_name: str
    policy_name: str
    policy_document: str


class DeleteRolePolicy(_Command):
    """Remove an inline policy from a role."""

    kind: Literal["DeleteRolePolicy"] = "DeleteRolePolicy"
    role_name: str
    policy_name: str


class PutRolePermissionsBoundary(_Command):
    """Set a managed policy as a role's permissions boundary."""

    kind: Literal["PutRolePermissionsBoundary"] = "PutRolePermissionsBoundary"
    role_name: str
    permissions_boundary: str


class DeleteRolePermissionsBoundary(_Command):
    """Remove a role's permissions boundary."""

    kind: Literal["DeleteRolePermissionsBoundary"] = "DeleteRolePermissionsBoundary"
    role_name: str


class RecordAccessKeyUse(_Command):
    """Note that a key authenticated a request (the api sends it; recorded ≤ once per 15 min)."""

    kind: Literal["RecordAccessKeyUse"] = "RecordAccessKeyUse"
    access_key_id: str
    service: str
    region: str
    at: datetime


class IssueSessionToken(_Command):
    """Record temporary credentials issued to a user (root for None) by GetSessionToken, or,
    with `federated_name`, by GetFederationToken (a federated user acting for that user)."""

    kind: Literal["IssueSessionToken"] = "IssueSessionToken"
    session_id: str
    user_name: str | None
    user_id: str
    federated_name: str | None = None
    session_key_id: str
    source_key_id: str
    issued_at: datetime
    expires_at: datetime


class AssumeRole(_Command):
    """Record a session of a role of this account, assumed by `caller_arn` (AssumeRole).

    The api has checked the trust policy; the decider checks that the role still exists.
    """

    kind: Literal["AssumeRole"] = "AssumeRole"
    session_id: str
    role_name: str
    role_id: str
    caller_arn: str
    role_session_name: str
    source_identity: str | None = None
    session_key_id: str
    issued_at: datetime
    expires_at: datetime


class CreateInstanceProfile(_Command):
    """Create an instance profile (a container for one role that workloads are bound to)."""

    kind: Literal["CreateInstanceProfile"] = "CreateInstanceProfile"
    instance_profile_name: str
    path: str = "/"
    tags: tuple[Tag, ...] = ()


class DeleteInstanceProfile(_Command):
    """Delete an instance profile that holds no role and has no workload bound to it."""

    kind: Literal["DeleteInstanceProfile"] = "DeleteInstanceProfile"
    instance_profile_name: str


class AddRoleToInstanceProfile(_Command):
    """Put a role into an instance profile (one role at most)."""

    kind: Literal["AddRoleToInstanceProfile"] = "AddRoleToInstanceProfile"
    instance_profile_name: str
    role_name: str


class RemoveRoleFromInstanceProfile(_Command):
    """Take the role out of an instance profile; its workloads' sessions are revoked."""

    kind: Literal["RemoveRoleFromInstanceProfile"] = "RemoveRoleFromInstanceProfile"
    instance_profile_name: str
    role_name: str


class TagInstanceProfile(_Command):
    """Add tags to an instance profile."""

    kind: Literal["TagInstanceProfile"] = "TagInstanceProfile"
    instance_profile_name: str
    tags: tuple[Tag, ...]


class UntagInstanceProfile(_Command):
    """Remove tags from an instance profile by key (ignoring case)."""

    kind: Literal["UntagInstanceProfile"] = "UntagInstanceProfile"
    instance_profile_name: str
    tag_keys: tuple[str, ...]


class BindWorkload(_Command):
    """Bind a workload to an instance profile and issue its first session.

    With `role_name`, the instance profile `profile_name` is created around that role first
    (as the AWS console does), unless it exists already holding that role. The workload token
    itself never reaches the log: only its SHA-256 digest. The session's ids, salt and times
    come from `services.credentials.workload_sessions`.
    """

    kind: Literal["BindWorkload"] = "BindWorkload"
    workload: str
    profile_name: str
    role_name: str | None = None
    bearer_sha256: str
    session_id: str
    session_key_id: str
    salt: str
    master_key_version: int
    issued_at: datetime
    expires_at: datetime


class UnbindWorkload(_Command):
    """Remove a workload's binding and revoke its unexpired sessions."""

    kind: Literal["UnbindWorkload"] = "UnbindWorkload"
    workload: str


class RenewWorkloadSession(_Command):
    """Replace a workload's current session `old_session_id` by a new one (the scheduler).

    Refused unless `old_session_id` is still the binding's current session, so a renewal
    decided twice yields one new session whatever the idempotency window.
    """

    kind: Literal["RenewWorkloadSession"] = "RenewWorkloadSession"
    workload: str
    old_session_id: str
    new_session_id: str
    session_key_id: str
    salt: str
    master_key_version: int
    issued_at: datetime
    expires_at: datetime


class ExpireSession(_Command):
    """Record that a session's expiration has passed (sent by the scheduler).

    `at` is the scheduler's clock; the session must have expired by then. A session expired or
    revoked already yields no event.
    """

    kind: Literal["ExpireSession"] = "ExpireSession"
    session_id: str
    at: AwareDatetime


# Most sessions one `ExpireSessions` names (the scheduler groups due expiries per account).
MAX_EXPIRED_PER_COMMAND = 500


class ExpireSessions(_Command):
    """Record that the expirations of several sessions of this account have passed: the
    scheduler's batched `ExpireSession`, one command and one `iamlog.session.expired` event per
    session.

    `at` is the scheduler's clock; every session must have expired by then (or the command is
    refused as a whole). A session expired or revoked already yields no event.
    """

    kind: Literal["ExpireSessions"] = "ExpireSessions"
    session_ids: tuple[str, ...] = Field(min_length=1, max_length=MAX_EXPIRED_PER_COMMAND)
    at: AwareDatetime


class RevokeSession(_Command):
    """Revoke a live session of this account before its expiration."""

    kind: Literal["RevokeSession"] = "RevokeSession"
    session_id: str
    reason: str = "revoked by an operator"


class RevokeRoleSessions(_Command):
    """Revoke every live session of a role of this account (AssumeRole and workload ones)."""

    kind: Literal["RevokeRoleSessions"] = "RevokeRoleSessions"
    role_arn: str
    reason: str = "revoked by an operator"


class CreateOpenIDConnectProvider(_Command):
    """Register an OpenID Connect identity provider (its JWKS optional: see docs/sts.md)."""

    kind: Literal["CreateOpenIDConnectProvider"] = "CreateOpenIDConnectProvider"
    url: str
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()
    jwks: str | None = None


class UpdateOpenIDConnectProvider(_Command):
    """Change one thing of a provider: add or remove a client id, replace the thumbprints, or
    set its JWKS (`iamlog oidc-providers set-jwks`)."""

    kind: Literal["UpdateOpenIDConnectProvider"] = "UpdateOpenIDConnectProvider"
    arn: str
    add_client_id: str | None = None
    remove_client_id: str | None = None
    thumbprints: tuple[str, ...] | None = None
    jwks: str | None = None


class DeleteOpenIDConnectProvider(_Command):
    """Delete an OpenID Connect identity provider."""

    kind: Literal["DeleteOpenIDConnectProvider"] = "DeleteOpenIDConnectProvider"
    arn: str


class SetAccessKeyExpiry(_Command):
    """Set a key's own expiry (None: none); the maximum age may still end it earlier."""

    kind: Literal["SetAccessKeyExpiry"] = "SetAccessKeyExpiry"
    access_key_id: str
    expires_at: AwareDatetime | None


class SetAccountKeyMaxAge(_Command):
    """Set the account's maximum access key age in days (None: none); a user's
    `iamlog:AccessKeyMaxAgeDays` tag overrides it."""

    kind: Literal["SetAccountKeyMaxAge"] = "SetAccountKeyMaxAge"
    max_age_days: int | None


class MarkAccessKeyRotationDue(_Command):
    """Note that a key reached 80 % of its allowed age (the scheduler, its clock at `at`)."""

    kind: Literal["MarkAccessKeyRotationDue"] = "MarkAccessKeyRotationDue"
    access_key_id: str
    at: AwareDatetime


class ExpireAccessKey(_Command):
    """Set a key `Expired` once its expiry has passed (the scheduler, its clock at `at`)."""

    kind: Literal["ExpireAccessKey"] = "ExpireAccessKey"
    access_key_id: str
    at: AwareDatetime


class RotateAccessKey(_Command):
    """Issue a user's (root's, for None) second key; the scheduler disables the old one after
    `disable_after_seconds` and deletes it after `delete_after_seconds`."""

    kind: Literal["RotateAccessKey"] = "RotateAccessKey"
    user_name: str | None
    disable_after_seconds: int
    delete_after_seconds: int


Command = Annotated[
    CreateAccount | CreateUser | DeleteUser | UpdateUser | TagUser | UntagUser
    | CreateAccessKey | UpdateAccessKey | DeleteAccessKey | RecordAccessKeyUse
    | IssueSessionToken | AssumeRole | ExpireSession | ExpireSessions | RevokeSession
    | RevokeRoleSessions
    | SetAccessKeyExpiry | SetAccountKeyMaxAge | MarkAccessKeyRotationDue | ExpireAccessKey
    | RotateAccessKey
    | CreateGroup | DeleteGroup | AddUserToGroup | RemoveUserFromGroup
    | CreatePolicy | CreatePolicyVersion | DeletePolicyVersion | SetDefaultPolicyVersion
    | DeletePolicy | AttachUserPolicy | DetachUserPolicy | AttachGroupPolicy | DetachGroupPolicy
    | PutUserPolicy | DeleteUserPolicy | PutGroupPolicy | DeleteGroupPolicy
    | PutUserPermissionsBoundary | DeleteUserPermissionsBoundary
    | CreateRole | UpdateRole | UpdateAssumeRolePolicy | DeleteRole | TagRole | UntagRole
    | AttachRolePolicy | DetachRolePolicy | PutRolePolicy | DeleteRolePolicy
    | PutRolePermissionsBoundary | DeleteRolePermissionsBoundary
    | CreateInstanceProfile | DeleteInstanceProfile | AddRoleToInstanceProfile
    | RemoveRoleFromInstanceProfile | TagInstanceProfile | UntagInstanceProfile
    | BindWorkload | UnbindWorkload | RenewWorkloadSession
    | CreateOpenIDConnectProvider | UpdateOpenIDConnectProvider | DeleteOpenIDConnectProvider,
    Field(discriminator="kind"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
