"""Session rules: GetSessionToken and GetFederationToken are recorded for their user (or root),
which must still exist; AssumeRole for its role, in the role's account."""

from __future__ import annotations

from domain import ids
from domain.commands import AssumeRole, IssueSessionToken
from domain.errors import NoSuchEntity
from domain.iam import lookup
from domain.iam.state import AccountState
from events.schemas import Event
from events.schemas.session import RoleAssumed, SessionIssued


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
