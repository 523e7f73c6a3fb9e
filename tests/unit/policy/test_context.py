"""The request context: case-insensitive keys, derived keys that cannot be spoofed."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.policy import Principal, RequestContext

from .builders import ACCOUNT, ALICE, NOW, request


def test_keys_are_case_insensitive_and_values_text() -> None:
    """Keys are lower-cased; booleans, numbers, bytes and datetimes become AWS's text."""
    req = request(context={"AWS:SecureTransport": True, "S3:Max-Keys": 7, "x:blob": b"AB",
                           "x:when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                           "aws:TagKeys": ["a", "b"]})
    assert ("true",) == req.lookup("aws:securetransport")
    assert ("7",) == req.lookup("s3:max-keys")
    assert ("QUI=",) == req.lookup("x:blob")
    assert ("2026-01-02T03:04:05Z",) == req.lookup("x:when")
    assert ("a", "b") == req.lookup("aws:tagkeys")
    assert None is req.value_of("aws:tagkeys")


def test_principal_and_time_keys_are_derived() -> None:
    """Caller and clock keys come from the principal and `now`."""
    req = request()
    assert {"aws:principaltype": ("User",), "aws:principalaccount": (ACCOUNT,),
            "aws:principalarn": (ALICE.arn,), "aws:userid": ("AIDAALICE0000000000",),
            "aws:username": ("alice",), "aws:principaltag/team": ("data",),
            } == dict(req.values)
    assert ("2026-03-01T12:00:00Z",) == req.lookup("aws:currenttime")
    assert (str(int(NOW.timestamp())),) == req.lookup("aws:epochtime")


def test_derived_keys_cannot_be_overridden_by_the_request() -> None:
    """A caller cannot claim another user name, account or time through request keys."""
    req = request(context={"aws:username": "admin", "aws:PrincipalAccount": "999999999999",
                           "aws:CurrentTime": "2000-01-01T00:00:00Z"})
    assert ("alice", ACCOUNT, "2026-03-01T12:00:00Z") == (
        req.value_of("aws:username"), req.value_of("aws:principalaccount"),
        req.value_of("aws:currenttime"))


def test_role_session_keys() -> None:
    """A role session's PrincipalArn is the role's ARN and its userid is role id:session."""
    session = Principal.assumed_role(ACCOUNT, "app", "job", "AROAAPP", path="/svc/")
    req = request(principal=session)
    assert (f"arn:aws:iam::{ACCOUNT}:role/svc/app", "AROAAPP:job", None) == (
        req.value_of("aws:principalarn"), req.value_of("aws:userid"),
        req.value_of("aws:username"))


def test_resource_account_defaults() -> None:
    """The resource account comes from the ARN, else from the caller."""
    queue = RequestContext(action="sqs:SendMessage", principal=ALICE, now=NOW,
                           resource="arn:aws:sqs:us-east-1:444455556666:q")
    bucket = RequestContext(action="s3:GetObject", principal=ALICE, now=NOW,
                            resource="arn:aws:s3:::b/k")
    assert ("444455556666", ACCOUNT) == (queue.resource_account, bucket.resource_account)
    assert (False, True) == (queue.same_account, bucket.same_account)


def test_with_action_keeps_everything_else() -> None:
    """A sibling request differs only in its action."""
    req = request(context={"sts:ExternalId": "x"})
    sibling = req.with_action("sts:TagSession")
    assert ("sts:tagsession", req.resource, ("x",)) == (
        sibling.action_key, sibling.resource, sibling.lookup("sts:externalid"))
