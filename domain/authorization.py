"""Who a caller is and which policies apply to it, from an account's folded state (pure).

The api keeps every account's `AccountState` by folding the event stream, and per request asks::

    principal = principal_for(state, user_name)        # None: the account's root user
    policies = policies_for(state, user_name)           # identity policies + boundary
    decision = domain.policy.evaluate(RequestContext(..., principal=principal), policies)

`policies_for` gathers the user's inline policies, the default versions of its attached managed
policies, and the inline and attached policies of each of its groups; the boundary is the
default version of the user's permissions-boundary policy. Documents are parsed and compiled
once: the result is cached by the exact policies it holds, so a request costs a few dict
lookups while nothing changed, and any change (a new default version, a detach) makes a new
key and so takes effect on the next request.

Policy ids in explanations: a managed policy's ARN; `user/<name>/<policy>`,
`group/<name>/<policy>` or `role/<name>/<policy>` for inline policies; `role/<name>/trust` for a
role's trust policy.

`policies_for_role` does the same for a role (its inline and attached policies, its boundary),
and `trust_policy_of` gives a role's compiled trust policy, both cached the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from domain.errors import NoSuchEntity
from domain.iam.evolve import policy_key
from domain.iam.state import AccountState, InlinePolicy, Role, User
from domain.policy import (
    NO_POLICIES,
    CompiledPolicy,
    PolicyKind,
    Principal,
    PrincipalPolicies,
    compile_policy,
    parse_policy,
)

# (policy id, kind, document text): what one applicable policy is made of.
PolicyRef = tuple[str, PolicyKind, str]
_CACHE_SIZE = 4096


def principal_for(state: AccountState, user_name: str | None) -> Principal:
    """The caller: the account's root user for None, else the IAM user (with its tags)."""
    if user_name is None:
        return Principal.root(state.account_id)
    user = _user(state, user_name)
    return Principal.user(state.account_id, user.name, user.user_id, path=user.path,
                          tags=dict(user.tags))


def policies_for(state: AccountState, user_name: str | None) -> PrincipalPolicies:
    """The identity policies and permissions boundary of a user (root: none, it needs none)."""
    if user_name is None:
        return NO_POLICIES
    return _compiled(*_user_refs(state, _user(state, user_name)))


def _user_refs(state: AccountState, user: User) -> tuple[tuple[PolicyRef, ...],
                                                        PolicyRef | None]:
    """A user's identity policies (its own and its groups') and its boundary, as refs."""
    refs: list[PolicyRef] = []
    _add_inline(refs, f"user/{user.name}", PolicyKind.USER_INLINE,
                user.inline_policies.values())
    _add_managed(refs, state, user.attached)
    for group_key in user.groups:
        group = state.groups.get(group_key)
        if group is None:
            continue
        _add_inline(refs, f"group/{group.name}", PolicyKind.GROUP_INLINE,
                    group.inline_policies.values())
        _add_managed(refs, state, group.attached)
    boundary: PolicyRef | None = None
    if user.boundary is not None:
        policy = state.policies.get(policy_key(user.boundary))
        if policy is not None:
            boundary = (policy.arn, PolicyKind.MANAGED, policy.default_document)
    return tuple(refs), boundary


def policies_for_role(state: AccountState, role_name: str) -> PrincipalPolicies:
    """The identity policies and permissions boundary of a role (`NoSuchEntity` if none)."""
    role = _role(state, role_name)
    refs: list[PolicyRef] = []
    _add_inline(refs, f"role/{role.name}", PolicyKind.ROLE_INLINE, role.inline_policies.values())
    _add_managed(refs, state, role.attached)
    boundary: PolicyRef | None = None
    if role.boundary is not None:
        policy = state.policies.get(policy_key(role.boundary))
        if policy is not None:
            boundary = (policy.arn, PolicyKind.MANAGED, policy.default_document)
    return _compiled(tuple(refs), boundary)


def trust_policy_of(state: AccountState, role_name: str) -> CompiledPolicy | None:
    """The compiled trust policy of a role, or None when the account has no such role."""
    role = state.roles.get(role_name.lower())
    if role is None:
        return None
    return _compile((f"role/{role.name}/trust", PolicyKind.TRUST, role.trust_policy))


def _role(state: AccountState, role_name: str) -> Role:
    role = state.roles.get(role_name.lower())
    if role is None:
        raise NoSuchEntity(f"The role with name {role_name} cannot be found.",
                           account_id=state.account_id, entity=role_name)
    return role

def _user(state: AccountState, user_name: str) -> User:
    user = state.users.get(user_name.lower())
    if user is None:
        raise NoSuchEntity(f"The user with name {user_name} cannot be found.",
                           account_id=state.account_id, entity=user_name)
    return user


def _add_inline(refs: list[PolicyRef], owner: str, kind: PolicyKind,
                policies: Iterable[InlinePolicy]) -> None:
    for policy in policies:
        refs.append((f"{owner}/{policy.name}", kind, policy.document))


def _add_managed(refs: list[PolicyRef], state: AccountState, arns: tuple[str, ...]) -> None:
    for arn in arns:
        policy = state.policies.get(policy_key(arn))
        if policy is not None:
            refs.append((policy.arn, PolicyKind.MANAGED, policy.default_document))


@lru_cache(maxsize=_CACHE_SIZE)
def _compiled(identity: tuple[PolicyRef, ...], boundary: PolicyRef | None) -> PrincipalPolicies:
    return PrincipalPolicies(identity=tuple(_compile(ref) for ref in identity),
                             boundary=_compile(boundary) if boundary is not None else None)


@lru_cache(maxsize=_CACHE_SIZE)
def _compile(ref: PolicyRef) -> CompiledPolicy:
    policy_id, kind, document = ref
    return compile_policy(parse_policy(document, kind), policy_id)


def policies_for_role_session(state: AccountState, role_name: str, role_id: str,
                              policy: str | None = None,
                              policy_arns: tuple[str, ...] = ()) -> PrincipalPolicies:
    """A role session's policies: the role's identity policies and boundary, and the session
    policies it was given (the inline `policy` and the default versions of `policy_arns`), so
    that its permissions are their intersection.

    A role that is gone, or was deleted and created again under the same name (another role
    id), gives the session no identity policy: it may do nothing, as in AWS.
    """
    role = state.roles.get(role_name.lower())
    session = _session_refs(state, policy, policy_arns)
    if role is None or role.role_id != role_id:
        return _compiled_session((), None, session, bool(policy or policy_arns))
    refs: list[PolicyRef] = []
    _add_inline(refs, f"role/{role.name}", PolicyKind.ROLE_INLINE, role.inline_policies.values())
    _add_managed(refs, state, role.attached)
    boundary: PolicyRef | None = None
    if role.boundary is not None:
        boundary_policy = state.policies.get(policy_key(role.boundary))
        if boundary_policy is not None:
            boundary = (boundary_policy.arn, PolicyKind.MANAGED, boundary_policy.default_document)
    return _compiled_session(tuple(refs), boundary, session, bool(policy or policy_arns))


# What the root user's own side amounts to when it federates: everything, so that the
# federated user's permissions are exactly its session policies.
_ROOT_IDENTITY: PolicyRef = (
    "root", PolicyKind.MANAGED,
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


def policies_for_federated_user(state: AccountState, user_name: str | None, user_id: str,
                                policy: str | None = None,
                                policy_arns: tuple[str, ...] = ()) -> PrincipalPolicies:
    """A GetFederationToken session's policies: the identity policies and boundary of the user
    that federated (root: everything), intersected with the session policies.

    A user that is gone, or was deleted and created again (another user id), leaves the
    session no identity policy.
    """
    session = _session_refs(state, policy, policy_arns)
    if user_name is None:
        return _compiled_session((_ROOT_IDENTITY,), None, session, True)
    user = state.users.get(user_name.lower())
    if user is None or user.user_id != user_id:
        return _compiled_session((), None, session, True)
    refs, boundary = _user_refs(state, user)
    return _compiled_session(refs, boundary, session, True)


def _session_refs(state: AccountState, policy: str | None,
                  policy_arns: tuple[str, ...]) -> tuple[PolicyRef, ...]:
    """The session policies of a token: its inline policy and the default versions of its
    managed policy ARNs (an ARN that is gone grants nothing)."""
    session: list[PolicyRef] = []
    if policy is not None:
        session.append(("session/inline", PolicyKind.SESSION, policy))
    for arn in policy_arns:
        managed = state.policies.get(policy_key(arn))
        if managed is not None and managed.arn == arn:
            session.append((managed.arn, PolicyKind.MANAGED, managed.default_document))
    return tuple(session)


@lru_cache(maxsize=_CACHE_SIZE)
def _compiled_session(identity: tuple[PolicyRef, ...], boundary: PolicyRef | None,
                      session: tuple[PolicyRef, ...], has_session: bool) -> PrincipalPolicies:
    return PrincipalPolicies(
        identity=tuple(_compile(ref) for ref in identity),
        boundary=_compile(boundary) if boundary is not None else None,
        session=tuple(_compile(ref) for ref in session) if has_session else None)
