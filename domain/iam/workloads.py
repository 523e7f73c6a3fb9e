"""Workload rules: bind a workload to an instance profile (issuing its first session), renew
its session, unbind it (revoking its sessions).

A binding keeps its current session id: a renewal must name it, so a renewal decided twice (two
scheduler replicas, a retry after the idempotency window) yields one new session, and a
renewal after the role left the profile or the binding went yields none.
"""

from __future__ import annotations

import re

from domain import ids
from domain.commands import BindWorkload, RenewWorkloadSession, UnbindWorkload
from domain.errors import (
    ConcurrentModification,
    EntityAlreadyExists,
    NoSuchEntity,
    ValidationError,
)
from domain.iam import instance_profiles
from domain.iam.state import AccountState, Context, InstanceProfile, Role, Workload
from events.schemas import (
    Event,
    SessionRenewed,
    WorkloadBound,
    WorkloadSessionIssued,
    WorkloadUnbound,
)

_SESSION_ID = re.compile(r"[0-9a-f]{32}")
_SESSION_KEY_ID = re.compile(r"ASIA[A-Z2-7]{16}")
_SALT = re.compile(r"[0-9a-f]{32}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _invalid(field: str) -> ValidationError:
    return ValidationError(f"1 validation error detected: Value at '{field}' failed to satisfy "
                           "constraint: Member must have the format iamlog issues")


def _check_session(command: BindWorkload | RenewWorkloadSession, session_id: str) -> None:
    for field, value, pattern in (("sessionId", session_id, _SESSION_ID),
                                  ("sessionKeyId", command.session_key_id, _SESSION_KEY_ID),
                                  ("salt", command.salt, _SALT)):
        if not pattern.fullmatch(value):
            raise _invalid(field)
    if command.master_key_version < 1:
        raise _invalid("masterKeyVersion")
    if command.expires_at <= command.issued_at:
        raise ValidationError("A session must expire after it is issued.")


def find(state: AccountState, name: str) -> Workload:
    """The binding of workload `name` (ignoring case)."""
    ids.entity_name(name, "workload")
    found = state.workloads.get(name.lower())
    if found is None:
        raise NoSuchEntity(f"The workload with name {name} is not bound.",
                           account_id=state.account_id, entity=name)
    return found


def _role_of(state: AccountState, profile: InstanceProfile) -> Role:
    role = state.roles.get(profile.role) if profile.role is not None else None
    if role is None:
        raise NoSuchEntity(f"Instance Profile {profile.name} holds no role.",
                           account_id=state.account_id, entity=profile.name)
    return role


def bind(state: AccountState, command: BindWorkload, ctx: Context) -> list[Event]:
    """Bind a new workload to a profile holding a role (created around `role_name` if asked)
    and issue its first session."""
    name = ids.entity_name(command.workload, "workload")
    if not _DIGEST.fullmatch(command.bearer_sha256):
        raise _invalid("bearerSha256")
    _check_session(command, command.session_id)
    if name.lower() in state.workloads:
        raise EntityAlreadyExists(f"The workload {name} is bound already.",
                                  account_id=state.account_id, entity=name)
    events: list[Event] = []
    profile_key = command.profile_name.lower()
    if command.role_name is not None and profile_key not in state.instance_profiles:
        created = instance_profiles.created(state, command.profile_name, "/", ctx)
        profile = InstanceProfile(created.profile_name, created.profile_id, created.path,
                                  created.arn)
        events += [created, instance_profiles.role_added(state, profile, command.role_name)]
        profile = InstanceProfile(profile.name, profile.profile_id, profile.path, profile.arn,
                                  role=command.role_name.lower())
    else:
        profile = instance_profiles.find(state, command.profile_name)
        if command.role_name is not None and profile.role != command.role_name.lower():
            raise EntityAlreadyExists(f"Instance Profile {profile.name} already exists and "
                                      f"does not hold the role {command.role_name}.",
                                      account_id=state.account_id, entity=profile.name)
    role = _role_of(state, profile)
    events.append(WorkloadBound(
        account_id=state.account_id, workload=name, profile_name=profile.name,
        profile_id=profile.profile_id, profile_arn=profile.arn,
        bearer_sha256=command.bearer_sha256, bound_at=ctx.now))
    events.append(WorkloadSessionIssued(
        account_id=state.account_id, session_id=command.session_id, workload=name,
        profile_name=profile.name, profile_id=profile.profile_id, role_name=role.name,
        role_id=role.role_id, role_arn=role.arn, session_key_id=command.session_key_id,
        salt=command.salt, master_key_version=command.master_key_version,
        issued_at=command.issued_at, expires_at=command.expires_at))
    return events


def renew(state: AccountState, command: RenewWorkloadSession) -> list[Event]:
    """Renew the binding's current session; refused for any other session (no events)."""
    workload = find(state, command.workload)
    _check_session(command, command.new_session_id)
    profile = state.instance_profiles[workload.profile]
    role = _role_of(state, profile)
    current = workload.current_session_id
    if current != command.old_session_id:
        raise ConcurrentModification(
            f"Session {command.old_session_id[:32]} is not the current session of workload "
            f"{workload.name}.", account_id=state.account_id, entity=workload.name)
    return [SessionRenewed(
        account_id=state.account_id, session_id=command.new_session_id,
        old_session_id=command.old_session_id, workload=workload.name,
        profile_name=profile.name, profile_id=profile.profile_id, role_name=role.name,
        role_id=role.role_id, role_arn=role.arn, session_key_id=command.session_key_id,
        salt=command.salt, master_key_version=command.master_key_version,
        issued_at=command.issued_at, expires_at=command.expires_at)]


def unbind(state: AccountState, command: UnbindWorkload, ctx: Context) -> list[Event]:
    """Remove a binding; its unexpired sessions are revoked with it."""
    workload = find(state, command.workload)
    profile = state.instance_profiles[workload.profile]
    revoked = instance_profiles.live_sessions((workload,), ctx.now)
    return [WorkloadUnbound(
        account_id=state.account_id, workload=workload.name, profile_name=profile.name,
        profile_id=profile.profile_id, profile_arn=profile.arn, revoked_session_ids=revoked,
        unbound_at=ctx.now)]
