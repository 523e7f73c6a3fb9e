"""Trust policies: AssumeRole, AssumeRoleWithWebIdentity and TagSession."""

from __future__ import annotations

from typing import Any

import pytest

from domain.policy import (
    PolicyKind,
    Principal,
    PrincipalPolicies,
    evaluate_trust,
    session_tag_keys,
    web_identity_keys,
)

from .builders import ACCOUNT, ALICE, OTHER_ACCOUNT, allow, compiled, request

ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"


def trust(*statements: dict[str, Any]) -> Any:
    """A compiled trust policy."""
    return compiled(*statements, kind=PolicyKind.TRUST, policy_id="trust")


def assume(principal: Principal = ALICE, action: str = "sts:AssumeRole",
           context: dict[str, Any] | None = None) -> Any:
    """An AssumeRole-family request for the deploy role."""
    return request(action, ROLE, principal=principal, context=context,
                   resource_account=ACCOUNT)


def test_trust_naming_the_user_lets_it_assume_without_identity_policy() -> None:
    """Same account, a trust policy naming the user is a sufficient resource-based grant."""
    policy = trust({"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "sts:AssumeRole"})
    assert evaluate_trust(assume(), policy).allowed
    bob = Principal.user(ACCOUNT, "bob", "AIDABOB")
    assert not evaluate_trust(assume(bob), policy).allowed


def test_trust_naming_the_account_needs_identity_permission() -> None:
    """Trusting the account delegates: the caller's policies must allow sts:AssumeRole."""
    policy = trust({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    assert not evaluate_trust(assume(), policy).allowed
    may_assume = PrincipalPolicies(identity=(compiled(allow("sts:AssumeRole", ROLE)),))
    assert evaluate_trust(assume(), policy, may_assume).allowed


def test_cross_account_assume_role_needs_both_sides() -> None:
    """A caller from another account needs the trust policy and its own permission."""
    partner = Principal.user(OTHER_ACCOUNT, "ci", "AIDACI")
    policy = trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole"})
    may_assume = PrincipalPolicies(identity=(compiled(allow("sts:AssumeRole", ROLE)),))
    assert "CrossAccount" == evaluate_trust(assume(partner), policy, may_assume).step
    assert evaluate_trust(assume(partner), policy, may_assume).allowed
    assert not evaluate_trust(assume(partner), policy).allowed


def test_external_id_condition() -> None:
    """A third party must present the agreed sts:ExternalId."""
    policy = trust({"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "Unique-1234"}}})
    assert evaluate_trust(assume(context={"sts:ExternalId": "Unique-1234"}), policy).allowed
    assert not evaluate_trust(assume(context={"sts:ExternalId": "guess"}), policy).allowed
    assert not evaluate_trust(assume(), policy).allowed


def test_root_cannot_assume_roles() -> None:
    """Roles may not be assumed by a root user, whatever the trust policy says."""
    policy = trust({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    decision = evaluate_trust(assume(Principal.root(ACCOUNT)), policy)
    assert ("ImplicitDeny", "RootUser") == (decision.effect, decision.step)


def test_web_identity_with_oidc_claims() -> None:
    """AssumeRoleWithWebIdentity checks the provider and the token's aud/sub claims."""
    policy = trust({
        "Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/*"}}})
    bearer = Principal.web_identity(GITHUB_PROVIDER)
    good = web_identity_keys(GITHUB, {"aud": "sts.amazonaws.com",
                                      "sub": "repo:acme/app:ref:refs/heads/main"})
    fork = web_identity_keys(GITHUB, {"aud": "sts.amazonaws.com",
                                      "sub": "repo:evil/app:ref:refs/heads/main"})
    action = "sts:AssumeRoleWithWebIdentity"
    allowed = evaluate_trust(assume(bearer, action, good), policy)
    assert ("Allow", "ResourcePolicy") == (allowed.effect, allowed.step)
    assert not evaluate_trust(assume(bearer, action, fork), policy).allowed
    other_idp = Principal.web_identity("accounts.google.com")
    assert not evaluate_trust(assume(other_idp, action, good), policy).allowed


def test_session_tags_need_tag_session_permission() -> None:
    """Passing session tags also requires sts:TagSession in the trust policy."""
    assume_only = trust({"Effect": "Allow", "Principal": {"AWS": ALICE.arn},
                         "Action": "sts:AssumeRole"})
    with_tags = trust({"Effect": "Allow", "Principal": {"AWS": ALICE.arn},
                       "Action": ["sts:AssumeRole", "sts:TagSession"],
                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["project"]}}})
    tags = session_tag_keys({"project": "x"})
    denied = evaluate_trust(assume(context=tags), assume_only, tagging=True)
    assert ("ImplicitDeny", "sts:TagSession") == (denied.effect, denied.request.action)
    assert evaluate_trust(assume(context=tags), with_tags, tagging=True).allowed
    assert evaluate_trust(assume(context=tags), assume_only, tagging=False).allowed
    bad_tags = session_tag_keys({"cost-center": "y"})
    assert not evaluate_trust(assume(context=bad_tags), with_tags, tagging=True).allowed


def test_request_tag_values_are_condition_keys() -> None:
    """aws:RequestTag/<key> carries each session tag's value."""
    policy = trust({"Effect": "Allow", "Principal": {"AWS": ALICE.arn},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"aws:RequestTag/project": "x"}}})
    assert evaluate_trust(assume(context=session_tag_keys({"project": "x"})), policy,
                          tagging=True).allowed
    assert not evaluate_trust(assume(context=session_tag_keys({"project": "z"})), policy,
                              tagging=True).allowed


def test_service_principal() -> None:
    """A service named in the trust policy may assume the role."""
    policy = trust({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole"})
    assert evaluate_trust(assume(Principal.service("ec2.amazonaws.com")), policy).allowed
    assert not evaluate_trust(assume(Principal.service("lambda.amazonaws.com")), policy).allowed


def test_only_assume_role_actions_are_trust_decisions() -> None:
    """Asking a trust question about another action is a programming error."""
    policy = trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})
    with pytest.raises(ValueError, match="s3:GetObject is not an AssumeRole action"):
        evaluate_trust(request(), policy)
