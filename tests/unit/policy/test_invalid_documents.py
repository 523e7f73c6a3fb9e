"""Over a hundred documents IAM refuses, each with the message that says what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.policy import MalformedPolicyDocument, PolicyKind, parse_policy

VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
REMOVE = object()


def stmt(**changes: Any) -> dict[str, Any]:
    """A valid identity statement with `changes` applied (REMOVE drops an element)."""
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    for name, value in changes.items():
        if value is REMOVE:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def trust_stmt(**changes: Any) -> dict[str, Any]:
    """A valid trust statement with `changes` applied."""
    base: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    base.update(changes)
    return base


def doc(*statements: Any, **top: Any) -> str:
    """A 2012-10-17 document with the statements (top-level fields may be overridden)."""
    body: dict[str, Any] = {"Version": "2012-10-17", "Statement": list(statements)}
    for name, value in top.items():
        if value is REMOVE:
            body.pop(name, None)
        else:
            body[name] = value
    return json.dumps(body)


def cond(operator: str, key: str, value: Any) -> str:
    """An identity document whose only statement has one condition."""
    return doc(stmt(Condition={operator: {key: value}}))


MANAGED = PolicyKind.MANAGED
TRUST = PolicyKind.TRUST
RESOURCE = PolicyKind.RESOURCE

CASES: list[tuple[str, str, PolicyKind, str]] = [
    # syntax and top level
    ("not json", "{", MANAGED, "Syntax errors in policy."),
    ("trailing garbage", '{"Version": "2012-10-17"} x', MANAGED, "Syntax errors in policy."),
    ("empty text", "", MANAGED, "Syntax errors in policy."),
    ("a list", "[]", MANAGED, "Syntax errors in policy."),
    ("a string", '"policy"', MANAGED, "Syntax errors in policy."),
    ("a number", "42", MANAGED, "Syntax errors in policy."),
    ("null", "null", MANAGED, "Syntax errors in policy."),
    ("NaN constant", '{"Version": NaN}', MANAGED, "Syntax errors in policy."),
    ("duplicate top-level key",
     '{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}', MANAGED,
     'Duplicate field "Version" in policy.'),
    ("duplicate statement key",
     '{"Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}}',
     MANAGED, 'Duplicate field "Effect" in policy.'),
    ("unknown top-level field", doc(stmt(), Extra=1), MANAGED,
     'Policy contains unknown field "Extra".'),
    ("lower-case statement", doc(stmt(), statement=[]), MANAGED,
     'Policy contains unknown field "statement".'),
    ("bad version", doc(stmt(), Version="2012-10-18"), MANAGED,
     'Invalid policy version "2012-10-18": use "2012-10-17" (or the legacy "2008-10-17").'),
    ("numeric version", doc(stmt(), Version=2012), MANAGED,
     'Invalid policy version 2012: use "2012-10-17" (or the legacy "2008-10-17").'),
    ("empty version", doc(stmt(), Version=""), MANAGED,
     'Invalid policy version "": use "2012-10-17" (or the legacy "2008-10-17").'),
    ("numeric id", doc(stmt(), Id=7), MANAGED, "Id must be a string."),
    ("no statement", doc(Statement=REMOVE), MANAGED, "Missing required field Statement."),
    ("empty statement list", doc(), MANAGED,
     "Policy document must contain at least one statement."),
    ("statement is a string", doc(Statement="x"), MANAGED,
     "Statement must be a JSON object or a list of JSON objects."),
    ("statement is null", doc(Statement=None), MANAGED,
     "Statement must be a JSON object or a list of JSON objects."),
    ("statement entry is a string", doc("x"), MANAGED, "Each statement must be a JSON object."),
    ("statement entry is a list", doc([stmt()]), MANAGED,
     "Each statement must be a JSON object."),
    ("unknown statement field", doc(stmt(Actions="s3:*")), MANAGED,
     'Statement contains unknown field "Actions".'),
    ("lower-case effect field", doc(stmt(effect="Allow")), MANAGED,
     'Statement contains unknown field "effect".'),
    # Sid
    ("duplicate sid", doc(stmt(Sid="A"), stmt(Sid="A")), MANAGED,
     "Statement IDs (SID) in a single policy must be unique."),
    ("sid with space", doc(stmt(Sid="my sid")), MANAGED,
     "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
     "expression [0-9A-Za-z]*"),
    ("sid with dash", doc(stmt(Sid="a-b")), MANAGED,
     "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
     "expression [0-9A-Za-z]*"),
    ("numeric sid", doc(stmt(Sid=1)), MANAGED, "Sid must be a string."),
    ("duplicate sid in resource policy",
     doc({"Sid": "x y", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
         {"Sid": "x y", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
          "Resource": "*"}), RESOURCE,
     "Statement IDs (SID) in a single policy must be unique."),
    # Effect
    ("no effect", doc(stmt(Effect=REMOVE)), MANAGED, "Missing required field Effect."),
    ("lower-case allow", doc(stmt(Effect="allow")), MANAGED,
     'Invalid effect: "allow". Effect must be "Allow" or "Deny".'),
    ("upper-case deny", doc(stmt(Effect="DENY")), MANAGED,
     'Invalid effect: "DENY". Effect must be "Allow" or "Deny".'),
    ("effect permit", doc(stmt(Effect="Permit")), MANAGED,
     'Invalid effect: "Permit". Effect must be "Allow" or "Deny".'),
    ("effect list", doc(stmt(Effect=["Allow"])), MANAGED,
     'Invalid effect: ["Allow"]. Effect must be "Allow" or "Deny".'),
    ("effect true", doc(stmt(Effect=True)), MANAGED,
     'Invalid effect: true. Effect must be "Allow" or "Deny".'),
    ("effect empty", doc(stmt(Effect="")), MANAGED,
     'Invalid effect: "". Effect must be "Allow" or "Deny".'),
    # Action / NotAction
    ("no action", doc(stmt(Action=REMOVE)), MANAGED, "Policy statement must contain actions."),
    ("empty action list", doc(stmt(Action=[])), MANAGED,
     "Policy statement must contain actions."),
    ("empty not-action list", doc(stmt(Action=REMOVE, NotAction=[])), MANAGED,
     "Policy statement must contain actions."),
    ("action and not-action", doc(stmt(NotAction="s3:PutObject")), MANAGED,
     "Statement cannot contain both Action and NotAction."),
    ("action number", doc(stmt(Action=5)), MANAGED,
     "Action must be a string or a list of strings."),
    ("action object", doc(stmt(Action={"s3": "Get"})), MANAGED,
     "Action must be a string or a list of strings."),
    ("action list with number", doc(stmt(Action=["s3:GetObject", 1])), MANAGED,
     "Action must be a string or a list of strings."),
    ("not-action number", doc(stmt(Action=REMOVE, NotAction=1)), MANAGED,
     "NotAction must be a string or a list of strings."),
    ("action without vendor", doc(stmt(Action="GetObject")), MANAGED, VENDOR),
    ("empty action", doc(stmt(Action="")), MANAGED, VENDOR),
    ("action star-star", doc(stmt(Action="**")), MANAGED, VENDOR),
    ("action two colons", doc(stmt(Action="s3:Get:Object")), MANAGED,
     "Actions/Condition can contain only one colon."),
    ("action wildcard vendor", doc(stmt(Action="s*:GetObject")), MANAGED,
     "Action vendors must not contain wildcards."),
    ("action star vendor", doc(stmt(Action="*:GetObject")), MANAGED,
     "Action vendors must not contain wildcards."),
    ("action question vendor", doc(stmt(Action="s?:GetObject")), MANAGED,
     "Action vendors must not contain wildcards."),
    ("action empty vendor", doc(stmt(Action=":GetObject")), MANAGED, "Vendor  is not valid"),
    ("action vendor with space", doc(stmt(Action="s 3:GetObject")), MANAGED,
     "Vendor s 3 is not valid"),
    ("action vendor with underscore", doc(stmt(Action="my_svc:Get")), MANAGED,
     "Vendor my_svc is not valid"),
    ("action without name", doc(stmt(Action="s3:")), MANAGED,
     'Action "s3:" is not valid: the name after the vendor is missing or has characters other '
     "than letters, digits, _, -, * and ?."),
    ("action name with space", doc(stmt(Action="s3:Get Object")), MANAGED,
     'Action "s3:Get Object" is not valid: the name after the vendor is missing or has '
     "characters other than letters, digits, _, -, * and ?."),
    ("action name with slash", doc(stmt(Action="s3:Get/Object")), MANAGED,
     'Action "s3:Get/Object" is not valid: the name after the vendor is missing or has '
     "characters other than letters, digits, _, -, * and ?."),
    ("non-sts action in trust policy", doc(trust_stmt(Action="s3:GetObject")), TRUST,
     "AssumeRole policy may only specify STS AssumeRole actions."),
    ("iam action in trust policy", doc(trust_stmt(Action=["sts:AssumeRole", "iam:*"])), TRUST,
     "AssumeRole policy may only specify STS AssumeRole actions."),
    # Resource / NotResource
    ("no resource", doc(stmt(Resource=REMOVE)), MANAGED,
     "Policy statement must contain resources."),
    ("empty resource list", doc(stmt(Resource=[])), MANAGED,
     "Policy statement must contain resources."),
    ("resource and not-resource", doc(stmt(NotResource="*")), MANAGED,
     "Statement cannot contain both Resource and NotResource."),
    ("resource number", doc(stmt(Resource=1)), MANAGED,
     "Resource must be a string or a list of strings."),
    ("resource null", doc(stmt(Resource=None)), MANAGED,
     "Resource must be a string or a list of strings."),
    ("not-resource object", doc(stmt(Resource=REMOVE, NotResource={})), MANAGED,
     "NotResource must be a string or a list of strings."),
    ("resource not an arn", doc(stmt(Resource="bucket/key")), MANAGED,
     'Resource bucket/key must be in ARN format or "*".'),
    ("resource empty", doc(stmt(Resource="")), MANAGED,
     'Resource  must be in ARN format or "*".'),
    ("resource too few segments", doc(stmt(Resource="arn:aws:s3::bucket")), MANAGED,
     'Resource arn:aws:s3::bucket must be in ARN format or "*".'),
    ("resource upper-case arn", doc(stmt(Resource="ARN:aws:s3:::b")), MANAGED,
     'Resource ARN:aws:s3:::b must be in ARN format or "*".'),
    ("resource star-star", doc(stmt(Resource="**")), MANAGED,
     'Resource ** must be in ARN format or "*".'),
    ("resource bad partition", doc(stmt(Resource="arn:amazon:s3:::b")), MANAGED,
     'Partition "amazon" is not valid for resource "arn:amazon:s3:::b".'),
    ("resource wildcard partition", doc(stmt(Resource="arn:*:s3:::b")), MANAGED,
     'Partition "*" is not valid for resource "arn:*:s3:::b".'),
    ("resource empty partition", doc(stmt(Resource="arn::s3:::b")), MANAGED,
     'Partition "" is not valid for resource "arn::s3:::b".'),
    ("resource wildcard service", doc(stmt(Resource="arn:aws:s*:::b")), MANAGED,
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("resource empty service", doc(stmt(Resource="arn:aws::::b")), MANAGED,
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("resource question service", doc(stmt(Resource="arn:aws:s?:::b")), MANAGED,
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("second resource bad", doc(stmt(Resource=["*", "nope"])), MANAGED,
     'Resource nope must be in ARN format or "*".'),
    ("resource in trust policy", doc(trust_stmt(Resource="*")), TRUST,
     "Has prohibited field Resource."),
    ("not-resource in trust policy", doc(trust_stmt(NotResource="*")), TRUST,
     "Has prohibited field NotResource."),
    ("no resource in resource policy",
     doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}), RESOURCE,
     "Policy statement must contain resources."),
    # Principal / NotPrincipal
    ("principal in identity policy", doc(stmt(Principal="*")), MANAGED,
     "Policy document should not specify a principal."),
    ("not-principal in identity policy", doc(stmt(NotPrincipal={"AWS": "*"})), MANAGED,
     "Policy document should not specify a principal."),
    ("principal in inline user policy", doc(stmt(Principal="*")), PolicyKind.USER_INLINE,
     "Policy document should not specify a principal."),
    ("principal in session policy", doc(stmt(Principal="*")), PolicyKind.SESSION,
     "Policy document should not specify a principal."),
    ("trust without principal", doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), TRUST,
     "Missing required field Principal."),
    ("resource policy without principal", doc(stmt()), RESOURCE,
     "Missing required field Principal."),
    ("principal and not-principal",
     doc(trust_stmt(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})), TRUST,
     "Statement cannot contain both Principal and NotPrincipal."),
    ("principal string not star", doc(trust_stmt(Principal="arn:aws:iam::111122223333:root")),
     TRUST, 'Invalid principal in policy: "arn:aws:iam::111122223333:root"'),
    ("principal empty object", doc(trust_stmt(Principal={})), TRUST,
     "Invalid principal in policy: {}"),
    ("principal list", doc(trust_stmt(Principal=["*"])), TRUST,
     'Invalid principal in policy: ["*"]'),
    ("principal unknown type", doc(trust_stmt(Principal={"User": "alice"})), TRUST,
     'Invalid principal in policy: "User"'),
    ("principal lower-case aws", doc(trust_stmt(Principal={"aws": "*"})), TRUST,
     'Invalid principal in policy: "aws"'),
    ("principal partial wildcard account",
     doc(trust_stmt(Principal={"AWS": "arn:aws:iam::*:root"})), TRUST,
     'Invalid principal in policy: "AWS":"arn:aws:iam::*:root"'),
    ("principal partial wildcard user",
     doc(trust_stmt(Principal={"AWS": "arn:aws:iam::111122223333:user/*"})), TRUST,
     'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"'),
    ("principal short account", doc(trust_stmt(Principal={"AWS": "12345"})), TRUST,
     'Invalid principal in policy: "AWS":"12345"'),
    ("principal not an arn", doc(trust_stmt(Principal={"AWS": "alice"})), TRUST,
     'Invalid principal in policy: "AWS":"alice"'),
    ("principal s3 arn", doc(trust_stmt(Principal={"AWS": "arn:aws:s3:::bucket"})), TRUST,
     'Invalid principal in policy: "AWS":"arn:aws:s3:::bucket"'),
    ("principal number", doc(trust_stmt(Principal={"AWS": 111122223333})), TRUST,
     "Principal AWS must be a string or a list of strings."),
    ("principal empty list", doc(trust_stmt(Principal={"AWS": []})), TRUST,
     "Principal AWS must name at least one principal."),
    ("service with wildcard", doc(trust_stmt(Principal={"Service": "*.amazonaws.com"})), TRUST,
     'Invalid principal in policy: "Service":"*.amazonaws.com"'),
    ("service star", doc(trust_stmt(Principal={"Service": "*"})), TRUST,
     'Invalid principal in policy: "Service":"*"'),
    ("federated wildcard", doc(trust_stmt(Principal={"Federated": "*"})), TRUST,
     'Invalid principal in policy: "Federated":"*"'),
    ("federated bad arn",
     doc(trust_stmt(Principal={"Federated": "arn:aws:iam::111122223333:user/x"})), TRUST,
     'Invalid principal in policy: "Federated":"arn:aws:iam::111122223333:user/x"'),
    ("canonical user not hex",
     doc({"Effect": "Allow", "Principal": {"CanonicalUser": "xyz"}, "Action": "s3:*",
          "Resource": "*"}), RESOURCE, 'Invalid principal in policy: "CanonicalUser":"xyz"'),
    # Condition
    ("condition is a list", doc(stmt(Condition=[])), MANAGED,
     "Condition must be a JSON object mapping operators to {key: values} objects."),
    ("condition is a string", doc(stmt(Condition="x")), MANAGED,
     "Condition must be a JSON object mapping operators to {key: values} objects."),
    ("unknown operator", cond("StringEqualz", "aws:username", "a"), MANAGED,
     "Invalid Condition type : StringEqualz."),
    ("operator wrong case", cond("stringequals", "aws:username", "a"), MANAGED,
     "Invalid Condition type : stringequals."),
    ("operator IfExists twice", cond("StringEqualsIfExistsIfExists", "aws:username", "a"), MANAGED,
     "Invalid Condition type : StringEqualsIfExistsIfExists."),
    ("NullIfExists", cond("NullIfExists", "aws:username", "true"), MANAGED,
     "Invalid Condition type : NullIfExists."),
    ("ForAnyValue:Null", cond("ForAnyValue:Null", "aws:TagKeys", "true"), MANAGED,
     "Invalid Condition type : ForAnyValue:Null."),
    ("unknown set operator", cond("ForSomeValues:StringEquals", "aws:TagKeys", "a"), MANAGED,
     "Invalid Condition type : ForSomeValues:StringEquals."),
    ("qualifier without colon", cond("ForAllValuesStringEquals", "aws:TagKeys", "a"), MANAGED,
     "Invalid Condition type : ForAllValuesStringEquals."),
    ("IfExists first", cond("IfExistsStringEquals", "aws:username", "a"), MANAGED,
     "Invalid Condition type : IfExistsStringEquals."),
    ("operator block is a string", doc(stmt(Condition={"StringEquals": "a"})), MANAGED,
     "Condition StringEquals must map condition keys to values."),
    ("operator block empty", doc(stmt(Condition={"StringEquals": {}})), MANAGED,
     "Condition StringEquals must map condition keys to values."),
    ("key without vendor", cond("StringEquals", "username", "a"), MANAGED, VENDOR),
    ("key with empty vendor", cond("StringEquals", ":username", "a"), MANAGED, VENDOR),
    ("key with empty name", cond("StringEquals", "aws:", "a"), MANAGED, VENDOR),
    ("value null", cond("StringEquals", "aws:username", None), MANAGED,
     "Condition StringEquals on key aws:username: values must be strings, numbers or booleans."),
    ("value object", cond("StringEquals", "aws:username", {"a": 1}), MANAGED,
     "Condition StringEquals on key aws:username: values must be strings, numbers or booleans."),
    ("value nested list", cond("StringEquals", "aws:username", [["a"]]), MANAGED,
     "Condition StringEquals on key aws:username: values must be strings, numbers or booleans."),
    ("value empty list", cond("StringEquals", "aws:username", []), MANAGED,
     "Condition StringEquals on key aws:username has no values."),
    ("numeric not a number", cond("NumericLessThan", "s3:max-keys", "ten"), MANAGED,
     'Invalid value "ten" for NumericLessThan on key s3:max-keys: expected a number.'),
    ("numeric empty", cond("NumericEquals", "s3:max-keys", ""), MANAGED,
     'Invalid value "" for NumericEquals on key s3:max-keys: expected a number.'),
    ("numeric infinity", cond("NumericGreaterThan", "s3:max-keys", "inf"), MANAGED,
     'Invalid value "inf" for NumericGreaterThan on key s3:max-keys: expected a number.'),
    ("numeric IfExists bad", cond("NumericEqualsIfExists", "s3:max-keys", "1e"), MANAGED,
     'Invalid value "1e" for NumericEqualsIfExists on key s3:max-keys: expected a number.'),
    ("date garbage", cond("DateLessThan", "aws:CurrentTime", "yesterday"), MANAGED,
     'Invalid value "yesterday" for DateLessThan on key aws:CurrentTime: expected an ISO 8601 '
     "date or epoch seconds."),
    ("date month 13", cond("DateGreaterThan", "aws:CurrentTime", "2026-13-01"), MANAGED,
     'Invalid value "2026-13-01" for DateGreaterThan on key aws:CurrentTime: expected an ISO '
     "8601 date or epoch seconds."),
    ("date empty", cond("DateEquals", "aws:CurrentTime", ""), MANAGED,
     'Invalid value "" for DateEquals on key aws:CurrentTime: expected an ISO 8601 date or '
     "epoch seconds."),
    ("bool yes", cond("Bool", "aws:SecureTransport", "yes"), MANAGED,
     'Invalid value "yes" for Bool on key aws:SecureTransport: expected "true" or "false".'),
    ("bool one", cond("Bool", "aws:SecureTransport", 1), MANAGED,
     'Invalid value "1" for Bool on key aws:SecureTransport: expected "true" or "false".'),
    ("null maybe", cond("Null", "aws:TokenIssueTime", "maybe"), MANAGED,
     'Invalid value "maybe" for Null on key aws:TokenIssueTime: expected "true" or "false".'),
    ("binary not base64", cond("BinaryEquals", "s3:x-amz-key", "not base64!"), MANAGED,
     'Invalid value "not base64!" for BinaryEquals on key s3:x-amz-key: expected '
     "base64-encoded bytes."),
    ("ip garbage", cond("IpAddress", "aws:SourceIp", "10.0.0"), MANAGED,
     'Invalid value "10.0.0" for IpAddress on key aws:SourceIp: expected an IPv4 or IPv6 '
     "address or CIDR."),
    ("ip prefix too long", cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/33"), MANAGED,
     'Invalid value "10.0.0.0/33" for NotIpAddress on key aws:SourceIp: expected an IPv4 or '
     "IPv6 address or CIDR."),
    ("ipv6 garbage", cond("IpAddress", "aws:SourceIp", "2001:db8::zz/32"), MANAGED,
     'Invalid value "2001:db8::zz/32" for IpAddress on key aws:SourceIp: expected an IPv4 or '
     "IPv6 address or CIDR."),
]


@pytest.mark.parametrize(("text", "kind", "message"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_invalid_document_is_refused_with_its_message(text: str, kind: PolicyKind,
                                                      message: str) -> None:
    """Each malformed document is refused with the message naming its fault."""
    with pytest.raises(MalformedPolicyDocument) as refused:
        parse_policy(text, kind)
    assert message == refused.value.message
    assert ("MalformedPolicyDocument", 400) == (refused.value.code, refused.value.http_status)


def test_there_are_at_least_a_hundred_invalid_documents() -> None:
    """The table of refusals covers at least a hundred distinct documents."""
    assert len({(case[1], case[2]) for case in CASES}) >= 100
