"""Actions and ARNs match as AWS documents: case, `*`, `?`, segments, complements."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.policy import PrincipalPolicies, evaluate
from domain.policy.conditions import CompiledCondition
from domain.policy.document import ConditionClause
from domain.policy.matching import ActionMatcher, ArnMatcher, glob_regex
from domain.policy.variables import parse_template

from . import reference
from .builders import allow, compiled, request

ACTIONS = [
    # pattern, action, matches
    ("s3:GetObject", "s3:GetObject", True),
    ("s3:GetObject", "S3:GETOBJECT", True),  # actions are case-insensitive
    ("S3:getobject", "s3:GetObject", True),
    ("s3:Get*", "s3:GetObjectAcl", True),
    ("s3:Get*", "s3:Get", True),
    ("s3:Get*", "s3:PutObject", False),
    ("s3:*Object", "s3:DeleteObject", True),
    ("s3:*Object", "s3:DeleteObjects", False),
    ("ec2:Describe?nstances", "ec2:DescribeInstances", True),
    ("ec2:Describe?nstances", "ec2:DescribeIInstances", False),
    ("iam:*AccessKey*", "iam:CreateAccessKey", True),
    ("iam:*AccessKey*", "iam:ListAccessKeys", True),
    ("*", "anything:At.All", True),
    ("s3:*", "s3x:GetObject", False),
    ("s3:*", "sqs:SendMessage", False),
    ("s3:GetObject", "s3:GetObjectVersion", False),
    ("s3:Get.bject", "s3:GetObject", False),  # a dot is not a regex wildcard
]


@pytest.mark.parametrize(("pattern", "action", "matches"), ACTIONS)
def test_action_patterns(pattern: str, action: str, matches: bool) -> None:
    """Action patterns match case-insensitively, with `*` and `?` as the only wildcards."""
    assert matches is ActionMatcher([pattern]).matches(action.lower())


ARNS = [
    # the AWS user guide's example: `*` crosses `/` inside the resource part
    ("arn:aws:s3:::b/*/test/*", "arn:aws:s3:::b/1/2/test/x.jpg", True),
    ("arn:aws:s3:::b/*/test/*", "arn:aws:s3:::b/test/object.jpg", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
    ("arn:aws:s3:::b*", "arn:aws:s3:::b/any/depth", True),
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/x", True),
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", False),
    ("arn:aws:s3:::B/key", "arn:aws:s3:::b/key", False),  # ARNs are case-sensitive
    # wildcards stay within their colon-separated segment
    ("arn:aws:ec2:*:111122223333:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
     True),
    ("arn:aws:ec2:*:111122223333:instance/*", "arn:aws:ec2:us-east-1:444455556666:instance/i-1",
     False),
    ("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", False),
    ("arn:aws:ec2:us-*-1:*:*", "arn:aws:ec2:us-east-1:111122223333:volume/v", True),
    ("arn:aws:ec2:us-*-1:*:*", "arn:aws:ec2:eu-west-1:111122223333:volume/v", False),
    ("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/alice", True),
    ("arn:aws:iam::?????????????:user/*", "arn:aws:iam::111122223333:user/alice", False),
    ("arn:aws:iam::????????????:user/*", "arn:aws:iam::111122223333:user/alice", True),
    ("arn:aws:logs:*:*:log-group:/app/*", "arn:aws:logs:us-east-1:1:log-group:/app/x:*", True),
    ("*", "arn:aws:s3:::anything", True),
    ("*", "*", True),
    ("arn:aws:s3:::b", "*", False),
    ("arn:aws:s3:::b/key", "not-an-arn", False),
    ("arn:aws:s3:::b.c/*", "arn:aws:s3:::bxc/k", False),  # a dot is literal
]


@pytest.mark.parametrize(("pattern", "arn", "matches"), ARNS)
def test_arn_patterns(pattern: str, arn: str, matches: bool) -> None:
    """ARN wildcards work per colon segment, and `*` crosses `/` in the resource part."""
    matcher = ArnMatcher([parse_template(pattern, enabled=True)])
    assert matches is matcher.matches(arn, request())
    assert matches is matcher.matches(arn, request())  # the remembered answer agrees


def test_not_action_covers_every_other_action() -> None:
    """Allow NotAction iam:* allows s3 and denies (implicitly) iam."""
    principal = PrincipalPolicies(identity=(compiled({"Effect": "Allow", "NotAction": "iam:*",
                                                      "Resource": "*"}),))
    assert evaluate(request("s3:GetObject"), principal).allowed
    assert not evaluate(request("iam:CreateUser", "*"), principal).allowed
    assert not evaluate(request("IAM:createuser", "*"), principal).allowed


def test_not_resource_covers_every_other_resource() -> None:
    """Allow s3:* NotResource on one bucket allows the others only."""
    principal = PrincipalPolicies(identity=(compiled(
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),))
    assert evaluate(request(resource="arn:aws:s3:::public/k"), principal).allowed
    assert not evaluate(request(resource="arn:aws:s3:::secret/k"), principal).allowed


def test_resource_list_matches_any_element() -> None:
    """A statement's resources OR together."""
    principal = PrincipalPolicies(identity=(compiled(
        allow("s3:GetObject", ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"])),))
    assert evaluate(request(resource="arn:aws:s3:::b/k"), principal).allowed
    assert not evaluate(request(resource="arn:aws:s3:::c/k"), principal).allowed


@settings(max_examples=300, deadline=None)
@given(st.text("ab*?", max_size=8), st.text("ab", max_size=10))
def test_glob_regex_agrees_with_naive_matching(pattern: str, text: str) -> None:
    """The linear-time glob regex decides exactly as naive recursive matching."""
    expected = reference.glob(pattern, text)
    assert expected is (re.fullmatch(glob_regex(pattern), text, re.DOTALL) is not None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("ab*?", max_size=3), min_size=6, max_size=6),
       st.lists(st.text("ab:/", max_size=4), min_size=6, max_size=6))
def test_arn_regex_agrees_with_segment_matching(pattern: list[str], arn: list[str]) -> None:
    """ARN regexes agree with matching each colon-separated part on its own."""
    pattern_text, arn_text = ":".join(pattern), ":".join(arn)
    expected = reference.arn_match(pattern_text, arn_text, "")
    matcher = ArnMatcher([parse_template(pattern_text, enabled=False)])
    assert expected is matcher.matches(arn_text, request())


@pytest.mark.timeout(10)
def test_many_wildcards_cannot_stall_matching() -> None:
    """A pattern like `a*a*a*…c` against a long resource answers at once (no ReDoS)."""
    stars = "a*" * 15
    arns = ArnMatcher([parse_template(f"arn:aws:s3:::{stars}c", enabled=True),
                       parse_template(f"arn:aws:s3:::${{aws:username}}/{stars}c", enabled=True)])
    like = CompiledCondition(ConditionClause(operator="StringLike", key="s3:prefix",
                                             values=(f"{stars}c", f"${{aws:username}}{stars}c")),
                             variables=True)
    long_text = "a" * 5_000
    assert not arns.matches(f"arn:aws:s3:::{long_text}", request())
    assert not arns.matches(f"arn:aws:s3:::alice/{long_text}", request())
    assert arns.matches(f"arn:aws:s3:::alice/{long_text}c", request())
    assert not like.test(request(context={"s3:prefix": long_text}))
    assert like.test(request(context={"s3:prefix": f"alice{long_text}c"}))
