"""AccessDenied carries an encoded authorization failure message that
`sts:DecodeAuthorizationMessage` decodes, with real boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import Account, Server, client, create_account
from tests.e2e.test_iam_users_keys import error_code

MARK = " Encoded authorization failure message: "
DECODER = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:DecodeAuthorizationMessage", "Resource": "*"}]})
DENY_USERS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadAll", "Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
    {"Sid": "NoUsers", "Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]})


def _user(server: Server, iam: Any, name: str, policy: str | None) -> tuple[Any, Any, str]:
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    args = (key["AccessKeyId"], key["SecretAccessKey"])
    return client(server, "iam", *args), client(server, "sts", *args), arn


def _denied(call: Any, **kwargs: Any) -> tuple[str, str]:
    """AWS's message and the encoded blob of an AccessDenied."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    assert ("AccessDenied", 403) == error_code(raised)
    message = raised.value.response["Error"]["Message"]
    head, _, blob = message.partition(MARK)
    assert blob, message
    return head, blob


def test_denials_decode_for_an_allowed_principal(server: Server, iam: Any,
                                                 account: Account) -> None:
    """An implicit and an explicit deny: AWS's message first, then the blob; it decodes to who,
    what, on what, and which statements matched — for a caller allowed to decode only."""
    plain_iam, plain_sts, plain_arn = _user(server, iam, "plain", None)
    head, blob = _denied(plain_iam.list_users)
    assert head.startswith(f"User: {plain_arn} is not authorized to perform: iam:ListUsers on "
                           "resource: ")
    # plain may not decode, not even its own denial
    _denied(plain_sts.decode_authorization_message, EncodedMessage=blob)

    _, decoder, _ = _user(server, iam, "decoder", DECODER)
    decoded = json.loads(decoder.decode_authorization_message(EncodedMessage=blob)[
        "DecodedMessage"])
    assert (False, False, "iam:ListUsers", plain_arn) == (
        decoded["allowed"], decoded["explicitDeny"], decoded["context"]["action"],
        decoded["context"]["principal"]["arn"])
    assert ["because no identity-based policy allows the iam:ListUsers action"] == decoded[
        "failures"]["items"]

    denied_iam, _, _ = _user(server, iam, "denied", DENY_USERS)
    _, explicit = _denied(denied_iam.list_users)
    decoded = json.loads(decoder.decode_authorization_message(EncodedMessage=explicit)[
        "DecodedMessage"])
    assert decoded["explicitDeny"]
    assert {("NoUsers", "Deny"), ("ReadAll", "Allow")} == {
        (m["statementId"], m["effect"]) for m in decoded["matchedStatements"]["items"]}
    # root may decode too
    root_sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    assert json.loads(root_sts.decode_authorization_message(EncodedMessage=blob)[
        "DecodedMessage"])["context"]["action"] == "iam:ListUsers"


def test_bad_or_foreign_messages_are_invalid(server: Server, iam: Any, account: Account) -> None:
    """Garbage, an altered blob, a blob of another account: InvalidAuthorizationMessage."""
    plain_iam, _, _ = _user(server, iam, "plain2", None)
    _, blob = _denied(plain_iam.list_groups)
    root_sts = client(server, "sts", account.access_key_id, account.secret_access_key)
    other = create_account(server)
    other_sts = client(server, "sts", other.access_key_id, other.secret_access_key)
    flipped = blob[:10] + ("A" if blob[10] != "A" else "B") + blob[11:]
    for bad, caller in (("not-a-message", root_sts), (flipped, root_sts), (blob, other_sts)):
        with pytest.raises(ClientError) as raised:
            caller.decode_authorization_message(EncodedMessage=bad)
        assert ("InvalidAuthorizationMessageException", 400) == error_code(raised)


def test_assume_role_denial_explains_without_revealing_the_role(server: Server, iam: Any,
                                                               account: Account) -> None:
    """A refused AssumeRole carries a message too; missing role and refusing trust policy
    decode alike (no matched statement of the role's trust policy)."""
    _, sts, arn = _user(server, iam, "assumer", DECODER)
    role = iam.create_role(RoleName="closed", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:root"},
            "Action": "sts:AssumeRole"}]}))["Role"]
    missing = f"arn:aws:iam::{account.account_id}:role/missing"
    decoded = []
    for target in (role["Arn"], missing):
        _, blob = _denied(sts.assume_role, RoleArn=target, RoleSessionName="try")
        message = json.loads(sts.decode_authorization_message(EncodedMessage=blob)[
            "DecodedMessage"])
        assert (arn, "sts:AssumeRole", target, []) == (
            message["context"]["principal"]["arn"], message["context"]["action"],
            message["context"]["resource"], message["matchedStatements"]["items"])
        decoded.append(message["failures"])
    assert decoded[0] == decoded[1]
