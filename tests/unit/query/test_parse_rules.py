"""AWS's Query rules: action and version routing, duplicates, unknown parameters, list shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain import errors
from domain.policy import MalformedPolicyDocument
from services.api.query import (
    QueryError,
    QueryInvalidAction,
    QueryInvalidParameterValue,
    QueryMalformedQueryString,
    QueryMissingAction,
    QueryValidationError,
)
from tests.unit.query.models import encode_request, protocol

IAM = [("Action", "GetUser"), ("Version", "2010-05-08")]


def test_missing_action_is_missing_action() -> None:
    """A request without Action is refused with MissingAction (400)."""
    with pytest.raises(QueryMissingAction) as refused:
        protocol("iam").parse([("Version", "2010-05-08"), ("UserName", "bob")])
    assert ("MissingAction", 400, "Missing Action") == (
        refused.value.code, refused.value.http_status, refused.value.message
    )


def test_empty_action_is_missing_action() -> None:
    """`Action=` counts as no action."""
    with pytest.raises(QueryMissingAction):
        protocol("iam").parse([("Action", ""), ("Version", "2010-05-08")])


def test_unknown_action_is_invalid_action() -> None:
    """An action the model lacks is InvalidAction with AWS's routing message."""
    with pytest.raises(QueryInvalidAction) as refused:
        protocol("iam").parse([("Action", "MakeCoffee"), ("Version", "2010-05-08")])
    assert ("InvalidAction", 400, "Could not find operation MakeCoffee for version 2010-05-08") == (
        refused.value.code, refused.value.http_status, refused.value.message
    )


def test_other_services_action_is_invalid_action() -> None:
    """An STS action sent to IAM is unknown there."""
    with pytest.raises(QueryInvalidAction):
        protocol("iam").parse([("Action", "AssumeRole"), ("Version", "2010-05-08")])


def test_missing_version_is_invalid_action() -> None:
    """Without Version the action cannot be routed: InvalidAction, NO_VERSION_SPECIFIED."""
    with pytest.raises(QueryInvalidAction) as refused:
        protocol("sts").parse([("Action", "GetCallerIdentity")])
    assert "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED" == (
        refused.value.message
    )


def test_wrong_version_is_invalid_action() -> None:
    """IAM's version sent to STS (and vice versa) is refused."""
    with pytest.raises(QueryInvalidAction) as refused:
        protocol("sts").parse([("Action", "GetCallerIdentity"), ("Version", "2010-05-08")])
    assert "Could not find operation GetCallerIdentity for version 2010-05-08" == (
        refused.value.message
    )


def test_duplicate_parameter_is_malformed_query_string() -> None:
    """A parameter given twice is refused instead of silently keeping one value."""
    with pytest.raises(QueryMalformedQueryString) as refused:
        protocol("iam").parse([*IAM, ("UserName", "alice"), ("UserName", "mallory")])
    assert ("MalformedQueryString", 400, "The parameter UserName was given more than once") == (
        refused.value.code, refused.value.http_status, refused.value.message
    )


def test_duplicate_action_is_malformed_query_string() -> None:
    """Two Actions are as ambiguous as two of anything else."""
    with pytest.raises(QueryMalformedQueryString):
        protocol("iam").parse([*IAM, ("Action", "DeleteUser")])


def test_unknown_parameters_are_ignored() -> None:
    """Parameters the model does not know (SigV4's among them) do not affect the arguments."""
    parsed = protocol("iam").parse([
        *IAM, ("UserName", "bob"), ("X-Amz-Signature", "abc"), ("Bogus.member.1", "x"),
        ("UserName.Deeper", "y"),
    ])
    assert {"UserName": "bob"} == parsed.args


def test_operation_without_input_members_has_no_args() -> None:
    """GetCallerIdentity takes nothing."""
    parsed = protocol("sts").parse([("Action", "GetCallerIdentity"), ("Version", "2011-06-15")])
    assert ("GetCallerIdentity", "2011-06-15", {}) == (parsed.action, parsed.version, parsed.args)


def test_empty_list_parameter_is_an_empty_list() -> None:
    """botocore sends an empty list as `Name=`."""
    form = encode_request("iam", "UntagUser", {"UserName": "bob", "TagKeys": []})
    assert ("TagKeys", "") in form
    assert {"UserName": "bob", "TagKeys": []} == protocol("iam").parse(form).args


def test_list_members_are_taken_in_numeric_order() -> None:
    """`member.10` comes after `member.2`, whatever order the pairs arrive in."""
    form = [("Action", "UntagUser"), ("Version", "2010-05-08"), ("UserName", "bob")] + [
        (f"TagKeys.member.{index}", f"k{index}") for index in (10, 2, 1)
    ]
    assert ["k1", "k2", "k10"] == protocol("iam").parse(form).args["TagKeys"]


def test_structures_in_lists() -> None:
    """`Tags.member.N.Key/Value` become a list of dicts."""
    form = [
        ("Action", "TagUser"), ("Version", "2010-05-08"), ("UserName", "bob"),
        ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "core"),
        ("Tags.member.2.Key", "env"), ("Tags.member.2.Value", ""),
    ]
    expected = [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": ""}]
    assert expected == protocol("iam").parse(form).args["Tags"]


def test_booleans_and_integers_are_typed() -> None:
    """`true`/`false` become bools and numbers ints."""
    form = [
        ("Action", "CreatePolicyVersion"), ("Version", "2010-05-08"),
        ("PolicyArn", "arn:aws:iam::123456789012:policy/p"), ("PolicyDocument", "{}"),
        ("SetAsDefault", "true"),
    ]
    assert True is protocol("iam").parse(form).args["SetAsDefault"]
    listing = [("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "7")]
    assert 7 == protocol("iam").parse(listing).args["MaxItems"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            [("Action", "ListUsers"), ("MaxItems", "ten")],
            "Value 'ten' at 'maxItems' is not a valid integer",
        ),
        (
            [("Action", "CreatePolicyVersion"), ("PolicyArn", "arn:aws:iam::1:policy/p"),
             ("PolicyDocument", "{}"), ("SetAsDefault", "yes")],
            "Value 'yes' at 'setAsDefault' is not a valid boolean",
        ),
    ],
)
def test_values_of_the_wrong_type_are_invalid_parameter_value(
    form: list[tuple[str, str]], message: str
) -> None:
    """An integer or boolean that is not one is InvalidParameterValue (400)."""
    with pytest.raises(QueryInvalidParameterValue) as refused:
        protocol("iam").parse([*form, ("Version", "2010-05-08")])
    assert ("InvalidParameterValue", 400, message) == (
        refused.value.code, refused.value.http_status, refused.value.message
    )


@pytest.mark.parametrize(
    ("cls", "domain_cls"),
    [
        (QueryMissingAction, errors.MissingAction),
        (QueryInvalidAction, errors.InvalidAction),
        (QueryMalformedQueryString, errors.MalformedQueryString),
        (QueryInvalidParameterValue, errors.InvalidParameterValue),
        (QueryValidationError, errors.ValidationError),
    ],
)
def test_codec_errors_are_domain_errors(
    cls: type[QueryError], domain_cls: type[errors.DomainError]
) -> None:
    """Each codec refusal is also the domain's error of that code, rebuildable from its code."""
    assert issubclass(cls, domain_cls)
    assert domain_cls.code == cls.code
    assert domain_cls is type(errors.error_from_code(cls.code, "m"))


def test_malformed_policy_document_is_rebuilt_from_its_code() -> None:
    """domain.policy's MalformedPolicyDocument survives a trip through its code."""
    rebuilt = errors.error_from_code("MalformedPolicyDocument", "bad")
    assert (MalformedPolicyDocument, 400) == (type(rebuilt), rebuilt.http_status)


def test_a_refused_request_never_reaches_the_handler() -> None:
    """Dispatching through parse calls the handler only for a request that parses."""
    calls: list[dict[str, Any]] = []
    handler: Callable[[dict[str, Any]], None] = calls.append

    def dispatch(form: list[tuple[str, str]]) -> None:
        handler(protocol("iam").parse(form).args)

    with pytest.raises(QueryValidationError):
        dispatch([("Action", "CreateUser"), ("Version", "2010-05-08"), ("UserName", "a b")])
    dispatch([("Action", "CreateUser"), ("Version", "2010-05-08"), ("UserName", "ab")])
    assert [{"UserName": "ab"}] == calls
