"""Valid documents are accepted and normalised; size limits ignore whitespace."""

from __future__ import annotations

import json

import pytest

from domain.errors import DomainError, LimitExceeded
from domain.policy import (
    Effect,
    MalformedPolicyDocument,
    PolicyKind,
    PolicyLimitExceeded,
    parse_policy,
    policy_size,
)
from domain.policy.document import ConditionClause, PrincipalElement

from .builders import allow, document

VALID: list[tuple[str, dict[str, object], PolicyKind]] = [
    ("statement as object",
     {"Version": "2012-10-17", "Statement": allow("s3:GetObject")}, PolicyKind.MANAGED),
    ("no version defaults to 2008",
     {"Statement": [allow()]}, PolicyKind.USER_INLINE),
    ("legacy version", {"Version": "2008-10-17", "Statement": [allow()]}, PolicyKind.MANAGED),
    ("id and sids", {"Version": "2012-10-17", "Id": "my policy",
                     "Statement": [{"Sid": "A1", **allow()}, {"Sid": "B2", **allow()}]},
     PolicyKind.GROUP_INLINE),
    ("not-action not-resource",
     {"Version": "2012-10-17",
      "Statement": [{"Effect": "Deny", "NotAction": ["iam:*", "sts:Get*"],
                     "NotResource": "arn:aws:s3:::b/*"}]}, PolicyKind.ROLE_INLINE),
    ("action wildcards",
     {"Version": "2012-10-17", "Statement": [allow(["s3:Get*", "ec2:Describe?nstances", "*"])]},
     PolicyKind.MANAGED),
    ("every partition",
     {"Version": "2012-10-17",
      "Statement": [allow("s3:*", ["arn:aws-cn:s3:::b", "arn:aws-us-gov:s3:::b",
                                   "arn:aws:ec2:*:*:instance/*"])]}, PolicyKind.MANAGED),
    ("trust with every principal type",
     {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
          "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/a/b",
                                "arn:aws:iam::111122223333:role/r",
                                "arn:aws:sts::111122223333:assumed-role/r/s",
                                "arn:aws:sts::111122223333:federated-user/f", "*"],
                        "Service": "ec2.amazonaws.com"}},
         {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
          "Principal": {"Federated": ["accounts.google.com",
                                      "arn:aws:iam::111122223333:oidc-provider/t.example.com"]},
          "Condition": {"StringEquals": {"accounts.google.com:aud": "app"}}}]},
     PolicyKind.TRUST),
    ("resource policy with star and canonical user",
     {"Version": "2012-10-17", "Statement": [
         {"Sid": "public read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::b/*"},
         {"Effect": "Allow", "Principal": {"CanonicalUser": "ab" * 32}, "Action": "s3:*",
          "Resource": "*"}]}, PolicyKind.RESOURCE),
    ("conditions of every family",
     {"Version": "2012-10-17", "Statement": [allow(Condition={
         "StringLike": {"s3:prefix": ["home/*", "tmp/"]},
         "NumericLessThanEquals": {"s3:max-keys": 10},
         "DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
         "DateLessThan": {"aws:EpochTime": 1893456000},
         "Bool": {"aws:SecureTransport": True},
         "BinaryEquals": {"s3:x": "QUJD"},
         "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]},
         "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"},
         "Null": {"aws:TokenIssueTime": "false"},
         "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
         "ForAnyValue:StringNotLikeIfExists": {"aws:TagKeys": "x*"},
     })]}, PolicyKind.MANAGED),
]


@pytest.mark.parametrize(("data", "kind"), [case[1:] for case in VALID],
                         ids=[case[0] for case in VALID])
def test_valid_document_is_accepted(data: dict[str, object], kind: PolicyKind) -> None:
    """Documents within the grammar parse, keeping every statement."""
    parsed = parse_policy(json.dumps(data), kind)
    statements = data["Statement"]
    expected = len(statements) if isinstance(statements, list) else 1
    assert expected == len(parsed.statements)
    assert kind is parsed.kind


def test_elements_are_normalised() -> None:
    """Strings become tuples, booleans and numbers in conditions become AWS's text."""
    parsed = parse_policy(document(allow("s3:GetObject", Condition={
        "Bool": {"aws:SecureTransport": True}, "NumericEquals": {"s3:max-keys": [1, 2.5]}})),
        PolicyKind.MANAGED)
    statement = parsed.statements[0]
    assert ("s3:GetObject",) == statement.actions
    assert ("*",) == statement.resources
    assert Effect.ALLOW is statement.effect
    assert (ConditionClause(operator="Bool", key="aws:SecureTransport", values=("true",)),
            ConditionClause(operator="NumericEquals", key="s3:max-keys", values=("1", "2.5"))
            ) == statement.conditions


def test_principal_star_and_aws_star_are_both_everyone() -> None:
    """`"*"` and `{"AWS": "*"}` both parse as the wildcard principal."""
    star = parse_policy(document({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
                        PolicyKind.TRUST)
    aws_star = parse_policy(document({"Effect": "Allow", "Principal": {"AWS": "*"},
                                      "Action": "sts:AssumeRole"}), PolicyKind.TRUST)
    assert PrincipalElement(wildcard=True) == star.statements[0].principal
    assert True is aws_star.statements[0].principal.wildcard  # type: ignore[union-attr]


def test_missing_version_is_legacy_and_disables_variables() -> None:
    """Without Version, AWS assumes 2008-10-17, under which `${…}` is plain text."""
    parsed = parse_policy(json.dumps({"Statement": allow()}), PolicyKind.MANAGED)
    assert ("2008-10-17", False) == (parsed.version, parsed.variables_enabled)


def test_a_mapping_is_accepted_as_well_as_text() -> None:
    """Callers holding a decoded document may pass the mapping itself."""
    parsed = parse_policy({"Version": "2012-10-17", "Statement": allow()}, PolicyKind.MANAGED)
    assert 1 == len(parsed.statements)


def test_digest_ignores_whitespace_and_key_order() -> None:
    """Two spellings of one document share a digest; a different document does not."""
    compact = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}'
    spaced = ('{ "Statement" : { "Resource" : "*", "Action": "*", "Effect": "Allow" },\n'
              '  "Version": "2012-10-17" }')
    other = compact.replace("Allow", "Deny")
    digest = parse_policy(compact, PolicyKind.MANAGED).digest
    assert digest == parse_policy(spaced, PolicyKind.MANAGED).digest
    assert digest != parse_policy(other, PolicyKind.MANAGED).digest


def test_size_ignores_whitespace() -> None:
    """Spaces, tabs and newlines do not count against the quotas."""
    assert 7 == policy_size(' {"a" :\n\t1} ')


LIMITS = [
    (PolicyKind.USER_INLINE, 2_048, "PolicySize"),
    (PolicyKind.GROUP_INLINE, 5_120, "PolicySize"),
    (PolicyKind.ROLE_INLINE, 10_240, "PolicySize"),
    (PolicyKind.MANAGED, 6_144, "PolicySize"),
    (PolicyKind.SESSION, 2_048, "PolicySize"),
    (PolicyKind.TRUST, 2_048, "ACLSizePerRole"),
]


def _padded(kind: PolicyKind, size: int) -> str:
    """A valid document of the kind, exactly `size` non-whitespace characters long."""
    if kind is PolicyKind.TRUST:
        base = {"Version": "2012-10-17", "Id": "", "Statement": {
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}}
    else:
        base = {"Version": "2012-10-17", "Id": "", "Statement": allow()}
    text = json.dumps(base, separators=(",", ":"))
    base["Id"] = "x" * (size - len(text))
    return json.dumps(base, indent=4)  # whitespace that must not count


@pytest.mark.parametrize(("kind", "limit", "quota"), LIMITS, ids=[k.value for k, _, _ in LIMITS])
def test_size_limit_per_kind(kind: PolicyKind, limit: int, quota: str) -> None:
    """A document at its kind's limit parses; one character more is LimitExceeded."""
    at_limit = _padded(kind, limit)
    assert limit == policy_size(at_limit)
    assert len(at_limit) > limit
    parse_policy(at_limit, kind)
    with pytest.raises(PolicyLimitExceeded) as refused:
        parse_policy(_padded(kind, limit + 1), kind)
    assert f"Cannot exceed quota for {quota}: {limit}" == refused.value.message
    assert ("LimitExceeded", 409, limit + 1) == (
        refused.value.code, refused.value.http_status, refused.value.size)


def test_errors_belong_to_the_domain_error_tree() -> None:
    """Both refusals are DomainErrors, and the size one is a LimitExceeded."""
    assert issubclass(MalformedPolicyDocument, DomainError)
    assert issubclass(PolicyLimitExceeded, LimitExceeded)
