"""Finding the entities a command names, with AWS's `NoSuchEntity` messages."""

from __future__ import annotations

from domain import ids
from domain.errors import NoSuchEntity, ValidationError
from domain.iam.state import AccountState, Group, ManagedPolicy, Role, User

ARN_MIN, ARN_MAX = 20, 2048


def user(state: AccountState, name: str, field: str = "userName") -> User:
    """The user called `name` (ignoring case)."""
    ids.entity_name(name, field)
    found = state.users.get(name.lower())
    if found is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return found


def group(state: AccountState, name: str) -> Group:
    """The group called `name` (ignoring case)."""
    ids.entity_name(name, "groupName", ids.POLICY_NAME_MAX)
    found = state.groups.get(name.lower())
    if found is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return found



def role(state: AccountState, name: str) -> Role:
    """The role called `name` (ignoring case)."""
    ids.entity_name(name, "roleName")
    found = state.roles.get(name.lower())
    if found is None:
        raise NoSuchEntity(f"The role with name {name} cannot be found.",
                           account_id=state.account_id, entity=name)
    return found

def policy(state: AccountState, arn: str, field: str = "policyArn") -> ManagedPolicy:
    """The customer-managed policy with exactly this ARN.

    AWS-managed policies (`arn:aws:iam::aws:policy/…`) are not modelled: like any ARN naming
    no policy of this account they are `NoSuchEntity`.
    """
    if not ARN_MIN <= len(arn) <= ARN_MAX:
        raise ValidationError(
            f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {ARN_MIN}"
            if len(arn) < ARN_MIN else
            f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {ARN_MAX}")
    found = state.policies.get(arn.rsplit("/", 1)[-1].lower())
    if found is None or found.arn != arn:
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.",
                           account_id=state.account_id, entity=arn)
    return found
