"""AWS's evaluation order, step by step, with the decisions' explanations."""

from __future__ import annotations

from typing import Any

from domain.policy import (
    Decision,
    DecisionEffect,
    Effect,
    MatchedStatement,
    PolicyKind,
    PolicySource,
    Principal,
    PrincipalPolicies,
    evaluate,
)

from .builders import ACCOUNT, ALICE, OTHER_ACCOUNT, allow, compiled, deny, request

BUCKET = "arn:aws:s3:::bucket/key"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = Principal.assumed_role(ACCOUNT, "app", "job-1", "AROAAPP")
FOREIGN_USER = Principal.user(OTHER_ACCOUNT, "mallory", "AIDAMALLORY")


def identity(*statements: dict[str, Any], policy_id: str = "identity") -> PrincipalPolicies:
    """A principal with one identity policy."""
    return PrincipalPolicies(identity=(compiled(*statements, policy_id=policy_id),))


def bucket_policy(*principals: str, effect: str = "Allow", action: str = "s3:*",
                  **extra: Any) -> Any:
    """A resource policy on the bucket naming `principals` (`*` for everyone)."""
    principal: Any = "*" if principals == ("*",) else {"AWS": list(principals)}
    return compiled({"Sid": "Bucket", "Effect": effect, "Principal": principal, "Action": action,
                     "Resource": "arn:aws:s3:::bucket/*", **extra},
                    kind=PolicyKind.RESOURCE, policy_id="bucket-policy")


def outcome(decision: Decision) -> tuple[str, str]:
    """The effect and the deciding step, for compact asserts."""
    return decision.effect.value, decision.step.value


# explicit deny and identity policies


def test_allow_star_with_deny_delete() -> None:
    """Allow s3:* + Deny s3:DeleteObject denies DeleteObject and allows GetObject."""
    principal = identity(allow("s3:*"), deny("s3:DeleteObject"))
    assert ("ExplicitDeny", "ExplicitDeny") == outcome(
        evaluate(request("s3:DeleteObject"), principal))
    assert ("Allow", "IdentityPolicy") == outcome(evaluate(request("s3:GetObject"), principal))


def test_nothing_allows_means_implicit_deny() -> None:
    """Without any allowing statement the answer is an implicit deny at the identity step."""
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(evaluate(request(), PrincipalPolicies()))
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(
        evaluate(request("ec2:RunInstances"), identity(allow("s3:*"))))


def test_user_and_group_policies_are_all_identity_policies() -> None:
    """An allow in a group's policy and a deny in the user's own both count."""
    principal = PrincipalPolicies(identity=(
        compiled(deny("s3:PutObject"), policy_id="user-inline"),
        compiled(allow("s3:*"), policy_id="group-devs")))
    get = evaluate(request("s3:GetObject"), principal)
    put = evaluate(request("s3:PutObject"), principal)
    assert ("Allow", ("group-devs:#0",)) == (get.effect.value, tuple(m.label for m in get.matched))
    assert ("ExplicitDeny", ("user-inline:#0",)) == (
        put.effect.value, tuple(m.label for m in put.denying_statements))


def test_deny_wins_whatever_its_place() -> None:
    """An explicit deny in a boundary, a session policy or a resource policy wins too."""
    allow_all = compiled(allow())
    denies = compiled(deny("s3:GetObject"), policy_id="denier")
    cases = [
        PrincipalPolicies(identity=(allow_all,), boundary=denies),
        PrincipalPolicies(identity=(allow_all,), session=(denies,)),
    ]
    for principal in cases:
        assert DecisionEffect.EXPLICIT_DENY is evaluate(request(), principal).effect
    resource = bucket_policy(ALICE.arn, effect="Deny")
    assert DecisionEffect.EXPLICIT_DENY is evaluate(
        request(), PrincipalPolicies(identity=(allow_all,)), resource).effect


# permissions boundary


def test_boundary_limits_identity_allow() -> None:
    """Allow s3:* with boundary s3:Get* denies s3:PutObject at the boundary step."""
    principal = PrincipalPolicies(identity=(compiled(allow("s3:*")),),
                                  boundary=compiled(allow("s3:Get*"), policy_id="boundary"))
    assert ("ImplicitDeny", "PermissionsBoundary") == outcome(
        evaluate(request("s3:PutObject"), principal))
    assert ("Allow", "IdentityPolicy") == outcome(evaluate(request("s3:GetObject"), principal))


def test_boundary_alone_grants_nothing() -> None:
    """A boundary allowing everything gives no permission by itself."""
    principal = PrincipalPolicies(boundary=compiled(allow()))
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(evaluate(request(), principal))


# session policies


def test_session_policy_intersects_with_role_policy() -> None:
    """A role session may do only what both the role and the session policy allow."""
    principal = PrincipalPolicies(identity=(compiled(allow("s3:*")),),
                                  session=(compiled(allow(["s3:GetObject", "ec2:*"])),))
    assert ("Allow", "IdentityPolicy") == outcome(
        evaluate(request("s3:GetObject", principal=SESSION), principal))
    assert ("ImplicitDeny", "SessionPolicy") == outcome(
        evaluate(request("s3:PutObject", principal=SESSION), principal))
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(
        evaluate(request("ec2:RunInstances", "*", principal=SESSION), principal))


def test_federated_user_without_session_policy_is_denied() -> None:
    """A federated user's permissions are its session policy's: with none, nothing."""
    federated = Principal.federated_user(ACCOUNT, "partner")
    without = PrincipalPolicies(identity=(compiled(allow()),))
    with_session = PrincipalPolicies(identity=(compiled(allow()),),
                                     session=(compiled(allow("s3:GetObject")),))
    assert ("ImplicitDeny", "SessionPolicy") == outcome(
        evaluate(request(principal=federated), without))
    assert ("Allow", "IdentityPolicy") == outcome(
        evaluate(request(principal=federated), with_session))


# resource-based policies in the same account


def test_resource_policy_naming_the_user_is_enough() -> None:
    """Same account, a bucket policy naming the user allows without any identity policy."""
    decision = evaluate(request(), PrincipalPolicies(), bucket_policy(ALICE.arn))
    assert ("Allow", "ResourcePolicy") == outcome(decision)
    assert (MatchedStatement("bucket-policy", PolicySource.RESOURCE, 0, "Bucket", Effect.ALLOW),
            ) == decision.matched


def test_resource_policy_naming_the_user_is_not_limited_by_a_boundary() -> None:
    """An implicit deny in a boundary does not limit what a policy grants the user's ARN."""
    principal = PrincipalPolicies(boundary=compiled(allow("ec2:*")))
    assert ("Allow", "ResourcePolicy") == outcome(
        evaluate(request(), principal, bucket_policy(ALICE.arn)))


def test_resource_policy_naming_the_session_is_final() -> None:
    """A grant to the role-session ARN is not limited by boundary or session policy."""
    principal = PrincipalPolicies(boundary=compiled(allow("ec2:*")),
                                  session=(compiled(allow("ec2:*")),))
    decision = evaluate(request(principal=SESSION), principal, bucket_policy(SESSION.arn))
    assert ("Allow", "ResourcePolicy") == outcome(decision)


def test_resource_policy_naming_the_role_is_limited_by_boundary_and_session() -> None:
    """A grant to the role's ARN stands in for identity policies; boundary and session limit."""
    resource = bucket_policy(ROLE_ARN)
    assert ("Allow", "ResourcePolicy") == outcome(
        evaluate(request(principal=SESSION), PrincipalPolicies(), resource))
    bounded = PrincipalPolicies(boundary=compiled(allow("ec2:*")))
    assert ("ImplicitDeny", "PermissionsBoundary") == outcome(
        evaluate(request(principal=SESSION), bounded, resource))
    scoped = PrincipalPolicies(session=(compiled(allow("ec2:*")),))
    assert ("ImplicitDeny", "SessionPolicy") == outcome(
        evaluate(request(principal=SESSION), scoped, resource))


def test_resource_policy_naming_the_account_delegates_to_identity_policies() -> None:
    """A grant to the account root needs the identity policies to allow too."""
    resource = bucket_policy(f"arn:aws:iam::{ACCOUNT}:root")
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(
        evaluate(request(), PrincipalPolicies(), resource))
    assert ("Allow", "IdentityPolicy") == outcome(
        evaluate(request(), identity(allow("s3:GetObject")), resource))


def test_identity_allow_suffices_without_resource_grant() -> None:
    """Same account: either side allowing is enough."""
    resource = bucket_policy(f"arn:aws:iam::{ACCOUNT}:user/someone-else")
    assert ("Allow", "IdentityPolicy") == outcome(
        evaluate(request(), identity(allow("s3:GetObject")), resource))


def test_anonymous_needs_a_public_resource_policy() -> None:
    """An unsigned request is allowed only by a resource policy naming `*`."""
    anonymous = Principal.anonymous()
    assert ("Allow", "ResourcePolicy") == outcome(
        evaluate(request(principal=anonymous), PrincipalPolicies(), bucket_policy("*")))
    assert ("ImplicitDeny", "ResourcePolicy") == outcome(
        evaluate(request(principal=anonymous), PrincipalPolicies(), bucket_policy(ALICE.arn)))


def test_not_principal_deny_spares_the_listed_principal() -> None:
    """Deny with NotPrincipal applies to everyone but the listed principals."""
    resource = compiled(
        {"Effect": "Deny", "NotPrincipal": {"AWS": ALICE.arn}, "Action": "s3:*",
         "Resource": "*"}, kind=PolicyKind.RESOURCE, policy_id="bucket-policy")
    bob = Principal.user(ACCOUNT, "bob", "AIDABOB")
    allow_all = identity(allow())
    assert DecisionEffect.ALLOW is evaluate(request(), allow_all, resource).effect
    assert DecisionEffect.EXPLICIT_DENY is evaluate(
        request(principal=bob), allow_all, resource).effect


def test_resource_policy_conditions_apply() -> None:
    """A resource policy's statement applies only when its conditions hold."""
    resource = bucket_policy(ALICE.arn, Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert DecisionEffect.ALLOW is evaluate(
        request(context={"aws:SecureTransport": True}), PrincipalPolicies(), resource).effect
    assert DecisionEffect.IMPLICIT_DENY is evaluate(
        request(context={"aws:SecureTransport": False}), PrincipalPolicies(), resource).effect


# cross-account


def test_cross_account_needs_both_sides() -> None:
    """The caller's account must allow and the resource policy must name the caller."""
    remote = {"principal": FOREIGN_USER, "resource_account": ACCOUNT}
    own_side = identity(allow("s3:GetObject"))
    assert ("Allow", "CrossAccount") == outcome(
        evaluate(request(**remote), own_side, bucket_policy(FOREIGN_USER.arn)))
    assert ("ImplicitDeny", "IdentityPolicy") == outcome(
        evaluate(request(**remote), PrincipalPolicies(), bucket_policy(FOREIGN_USER.arn)))
    assert ("ImplicitDeny", "CrossAccount") == outcome(evaluate(request(**remote), own_side))
    assert ("ImplicitDeny", "CrossAccount") == outcome(
        evaluate(request(**remote), own_side, bucket_policy(ALICE.arn)))


def test_cross_account_grant_to_the_account_counts() -> None:
    """Naming the caller's account in the resource policy opens the resource side."""
    remote = {"principal": FOREIGN_USER, "resource_account": ACCOUNT}
    resource = bucket_policy(OTHER_ACCOUNT)
    assert DecisionEffect.ALLOW is evaluate(
        request(**remote), identity(allow("s3:*")), resource).effect


def test_cross_account_boundary_still_limits() -> None:
    """The caller's boundary applies to its cross-account requests."""
    remote = {"principal": FOREIGN_USER, "resource_account": ACCOUNT}
    principal = PrincipalPolicies(identity=(compiled(allow()),), boundary=compiled(allow("ec2:*")))
    assert ("ImplicitDeny", "PermissionsBoundary") == outcome(
        evaluate(request(**remote), principal, bucket_policy(FOREIGN_USER.arn)))


def test_resource_account_is_read_from_the_arn() -> None:
    """An ARN with an account field makes a request cross-account without being told."""
    foreign_queue = f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:queue"
    decision = evaluate(request("sqs:SendMessage", foreign_queue), identity(allow()))
    assert ("ImplicitDeny", "CrossAccount") == outcome(decision)


# root


def test_root_may_do_everything_in_its_account() -> None:
    """The root user is allowed whatever the policies say, in its own account."""
    root = Principal.root(ACCOUNT)
    decision = evaluate(request("iam:DeleteAccount", "*", principal=root), identity(deny()),
                        bucket_policy("*", effect="Deny"))
    assert ("Allow", "RootUser") == outcome(decision)
    assert () == decision.matched


def test_root_of_another_account_needs_the_resource_policy() -> None:
    """Cross-account, a root user is like any caller whose own side allows everything."""
    root = Principal.root(OTHER_ACCOUNT)
    remote = {"principal": root, "resource_account": ACCOUNT}
    assert ("ImplicitDeny", "CrossAccount") == outcome(evaluate(request(**remote)))
    assert ("Allow", "CrossAccount") == outcome(
        evaluate(request(**remote), PrincipalPolicies(), bucket_policy(OTHER_ACCOUNT)))


# explanations


def test_explanation_lists_every_matched_statement() -> None:
    """Matched statements carry policy id, source, index and Sid, in evaluation order."""
    principal = PrincipalPolicies(
        identity=(compiled({"Sid": "ReadAll", **allow("s3:Get*")}, allow("s3:*"),
                           policy_id="ANPA1"),),
        boundary=compiled(allow("s3:*"), policy_id="ANPAB"))
    decision = evaluate(request(), principal)
    assert [("ANPA1", PolicySource.IDENTITY, 0, "ReadAll"),
            ("ANPA1", PolicySource.IDENTITY, 1, None),
            ("ANPAB", PolicySource.BOUNDARY, 0, None)] == [
        (m.policy_id, m.source, m.index, m.sid) for m in decision.matched]
    assert ["ANPA1:ReadAll", "ANPA1:#1", "ANPAB:#0"] == [m.label for m in decision.matched]
    assert "allowed" == decision.effect.eval_decision
    assert decision.explain().startswith("Allow at step IdentityPolicy for s3:GetObject")


def test_access_denied_messages() -> None:
    """Denials produce AWS's AccessDenied sentences, naming the step that denied."""
    head = (f"User: {ALICE.arn} is not authorized to perform: s3:PutObject on resource: "
            f"{BUCKET}")
    bounded = PrincipalPolicies(identity=(compiled(allow()),), boundary=compiled(allow("ec2:*")))
    denied = identity(allow(), deny("s3:PutObject"))
    put = request("s3:PutObject")
    assert f"{head} because no identity-based policy allows the s3:PutObject action" == evaluate(
        put).access_denied_message()
    assert f"{head} because no permissions boundary allows the s3:PutObject action" == evaluate(
        put, bounded).access_denied_message()
    assert f"{head} with an explicit deny in an identity-based policy" == evaluate(
        put, denied).access_denied_message()
    assert "explicitDeny" == evaluate(put, denied).effect.eval_decision
    assert "implicitDeny" == evaluate(put).effect.eval_decision


def test_decision_as_authorization_message() -> None:
    """`as_dict` carries what AWS's decoded authorization message does."""
    decision = evaluate(request("s3:PutObject", context={"aws:SourceIp": "10.0.0.1"}),
                        identity({"Sid": "NoPut", **deny("s3:PutObject")}, policy_id="ANPAX"))
    message = decision.as_dict()
    assert (False, True, "explicitDeny", "ExplicitDeny") == (
        message["allowed"], message["explicitDeny"], message["evalDecision"],
        message["decidingStep"])
    assert [{"statementId": "NoPut", "statementIndex": 0, "effect": "Deny",
             "sourcePolicyId": "ANPAX", "sourcePolicyType": "IdentityPolicy"}] == message[
        "matchedStatements"]["items"]
    context = message["context"]
    assert (ALICE.arn, "s3:PutObject", BUCKET) == (
        context["principal"]["arn"], context["action"], context["resource"])
    assert {"key": "aws:sourceip", "values": {"items": [{"value": "10.0.0.1"}]}} in context[
        "conditions"]["items"]
