"""Session rules: GetSessionToken and GetFederationToken are recorded for their user (or root),
which must still exist; AssumeRole for its role, in the role's account. A live session ends
once: expired (by the scheduler, after its expiration) or revoked (by an operator, or when what
it acts as goes)."""

from __future__ import annotations

from datetime import datetime

from domain import ids
from domain.commands import (
    AssumeRole,
    ExpireSession,
    ExpireSessions,
    IssueSessionToken,
    RevokeRoleSessions,
    RevokeSession,
)
from domain.errors import NoSuchEntity, ValidationError
from domain.iam import lookup
from domain.iam.state import AccountState, Context, LiveSession
from events.schemas import Event
from events.schemas.session import RoleAssumed, SessionExpired, SessionIssued, SessionRevoked


def issue_session_token(state: AccountState, command: IssueSessionToken) -> list[Event]:
    """Record a session issued to `command.user_name` (root for None), or to a federated user
    acting for it; nothing else changes."""
    arn: str
    if command.user_name is None:
        arn = ids.root_arn(state.account_id)
    else:
        user = lookup.user(state, command.user_name)
        if user.user_id != command.user_id:
            raise NoSuchEntity(f"The user with name {command.user_name} cannot be found.",
                               account_id=state.account_id, entity=command.user_name)
        arn = user.arn
    federated = command.federated_name
    if federated is not None:
        arn = ids.federated_user_arn(state.account_id, federated)
    return [SessionIssued(
        account_id=state.account_id, session_id=command.session_id,
        session_kind="session_token" if federated is None else "federated_user",
        principal_arn=arn, user_name=command.user_name, federated_name=federated,
        session_key_id=command.session_key_id, source_key_id=command.source_key_id,
        issued_at=command.issued_at, expires_at=command.expires_at,
    )]


def assume_role(state: AccountState, command: AssumeRole) -> list[Event]:
    """Record a session of a role of this account; the role must exist (the same one)."""
    role = lookup.role(state, command.role_name)
    if role.role_id != command.role_id:
        raise NoSuchEntity(f"The role with name {command.role_name} cannot be found.",
                           account_id=state.account_id, entity=command.role_name)
    return [RoleAssumed(
        account_id=state.account_id, session_id=command.session_id, role_name=role.name,
        role_id=role.role_id, role_arn=role.arn, caller_arn=command.caller_arn,
        role_session_name=command.role_session_name, source_identity=command.source_identity,
        session_key_id=command.session_key_id, issued_at=command.issued_at,
        expires_at=command.expires_at,
    )]


def expire_session(state: AccountState, command: ExpireSession) -> list[Event]:
    """Record the end of a live session whose expiration `command.at` has reached."""
    return _expired(state, command.session_id, command.at)


def expire_sessions(state: AccountState, command: ExpireSessions) -> list[Event]:
    """Record the ends of several live sessions whose expirations `command.at` has reached
    (each once, however often it is named)."""
    return [event for session_id in dict.fromkeys(command.session_ids)
            for event in _expired(state, session_id, command.at)]


def _expired(state: AccountState, session_id: str, at: datetime) -> list[Event]:
    live = state.sessions.get(session_id)
    if live is None:  # expired or revoked already (a repeated command), or never here
        return []
    if at < live.expires_at:
        raise ValidationError(f"Session {session_id} expires at "
                              f"{live.expires_at.isoformat()}, not yet.",
                              account_id=state.account_id, entity=session_id)
    return [SessionExpired(account_id=state.account_id, session_id=session_id,
                           principal_arn=live.principal_arn,
                           session_key_id=live.session_key_id, expires_at=live.expires_at)]


MAX_REASON = 256


def check_reason(reason: str, account_id: str | None = None) -> None:
    """A revocation's reason: 1 to `MAX_REASON` characters."""
    if not 1 <= len(reason) <= MAX_REASON:
        raise ValidationError(f"The reason must be 1 to {MAX_REASON} characters long.",
                              account_id=account_id)


def revoke_session(state: AccountState, command: RevokeSession, ctx: Context) -> list[Event]:
    """Revoke one live session; an unknown, expired or revoked one is `NoSuchEntity`."""
    check_reason(command.reason, state.account_id)
    live = state.sessions.get(command.session_id)
    if live is None:
        raise NoSuchEntity(f"No active session {command.session_id} in account "
                           f"{state.account_id}.", account_id=state.account_id,
                           entity=command.session_id)
    return [_revoked(state, command.session_id, live, command.reason, ctx)]


def revoke_role_sessions(state: AccountState, command: RevokeRoleSessions,
                         ctx: Context) -> list[Event]:
    """Revoke every live session acting as the role (none: nothing happens)."""
    check_reason(command.reason, state.account_id)
    return [_revoked(state, session_id, live, command.reason, ctx)
            for session_id, live in sorted(state.sessions.items())
            if live.role_arn == command.role_arn]


def _revoked(state: AccountState, session_id: str, live: LiveSession, reason: str,
             ctx: Context) -> SessionRevoked:
    return SessionRevoked(account_id=state.account_id, session_id=session_id,
                          principal_arn=live.principal_arn, session_key_id=live.session_key_id,
                          reason=reason, revoked_at=ctx.now)
