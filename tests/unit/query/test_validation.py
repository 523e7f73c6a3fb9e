"""Constraint violations from the model, in AWS's (Coral's) wording, all reported at once."""

from __future__ import annotations

import pytest

from services.api.query import QueryValidationError
from tests.unit.query.models import protocol


def _refusal(service: str, action: str, *pairs: tuple[str, str]) -> str:
    version = protocol(service).version
    with pytest.raises(QueryValidationError) as refused:
        protocol(service).parse([("Action", action), ("Version", version), *pairs])
    assert ("ValidationError", 400) == (refused.value.code, refused.value.http_status)
    return refused.value.message


def test_missing_required_member() -> None:
    """A required member left out is 'Value null … Member must not be null' (lower-camel name)."""
    assert (
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
        "Member must not be null"
    ) == _refusal("iam", "CreateUser")


def test_missing_required_member_in_sts() -> None:
    """STS words it the same way."""
    assert (
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
        "constraint: Member must not be null"
    ) == _refusal("sts", "AssumeRole", ("RoleArn", "arn:aws:iam::123456789012:role/r"))


def test_too_long() -> None:
    """Strings longer than `max`."""
    name = "u" * 65
    assert (
        f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    ) == _refusal("iam", "CreateUser", ("UserName", name))


def test_too_short() -> None:
    """Strings shorter than `min` (here the `*` pattern still matches)."""
    assert (
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 2"
    ) == _refusal(
        "sts", "AssumeRole", ("RoleArn", "arn:aws:iam::123456789012:role/r"),
        ("RoleSessionName", "a"),
    )


def test_empty_string_breaks_length_and_pattern() -> None:
    """Each broken constraint of one value is its own violation."""
    assert (
        "2 validation errors detected: "
        "Value '' at 'userName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    ) == _refusal("iam", "CreateUser", ("UserName", ""))


def test_pattern() -> None:
    """The model's Java pattern is quoted as written."""
    assert (
        "1 validation error detected: Value 'PowerUser/bob' at 'roleSessionName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    ) == _refusal(
        "sts", "AssumeRole", ("RoleArn", "arn:aws:iam::123456789012:role/r"),
        ("RoleSessionName", "PowerUser/bob"),
    )


@pytest.mark.parametrize("name", ["José", "名前", "bob\n"])
def test_word_characters_are_ascii_as_in_java(name: str) -> None:
    """`\\w` is ASCII in Java; a trailing newline does not sneak past `$`-style matching."""
    assert "Member must satisfy regular expression pattern" in _refusal(
        "iam", "CreateUser", ("UserName", name)
    )


@pytest.mark.parametrize("key", ["équipe", "チーム", "team 1", "a:b/c=d+e-f@g_h.i"])
def test_unicode_categories_accept_letters_spaces_numbers(key: str) -> None:
    """Tag keys allow \\p{L}\\p{Z}\\p{N} and a few symbols."""
    parsed = protocol("iam").parse([
        ("Action", "TagUser"), ("Version", "2010-05-08"), ("UserName", "bob"),
        ("Tags.member.1.Key", key), ("Tags.member.1.Value", "v"),
    ])
    assert [{"Key": key, "Value": "v"}] == parsed.args["Tags"]


def test_supplementary_characters_pass_the_sts_arn_pattern() -> None:
    """`\\u10000-\\u10FFFF` in STS's ARN pattern means the astral planes."""
    arn = "arn:aws:iam::123456789012:role/😀"
    parsed = protocol("sts").parse([
        ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", arn),
        ("RoleSessionName", "s1"),
    ])
    assert arn == parsed.args["RoleArn"]


def test_control_characters_fail_the_sts_arn_pattern() -> None:
    """The same pattern refuses C0 controls other than tab, LF and CR."""
    assert "regular expression pattern" in _refusal(
        "sts", "AssumeRole", ("RoleArn", "arn:aws:iam::123456789012:role/\x01"),
        ("RoleSessionName", "s1"),
    )


def test_enum() -> None:
    """A value outside the enum lists the allowed set."""
    assert (
        "1 validation error detected: Value 'Disabled' at 'status' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
    ) == _refusal(
        "iam", "UpdateAccessKey", ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"), ("Status", "Disabled")
    )


@pytest.mark.parametrize(
    ("value", "constraint"),
    [
        ("0", "Member must have value greater than or equal to 1"),
        ("1001", "Member must have value less than or equal to 1000"),
    ],
)
def test_integer_bounds(value: str, constraint: str) -> None:
    """Integers outside [min, max]."""
    assert (
        f"1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy "
        f"constraint: {constraint}"
    ) == _refusal("iam", "ListUsers", ("MaxItems", value))


def test_list_too_long() -> None:
    """More list members than `max`; a list of strings is shown the way Java prints it."""
    keys = [f"k{index}" for index in range(1, 52)]
    shown = "[" + ", ".join(keys) + "]"
    assert (
        f"1 validation error detected: Value '{shown}' at 'tagKeys' failed to satisfy "
        "constraint: Member must have length less than or equal to 50"
    ) == _refusal(
        "iam", "UntagUser", ("UserName", "bob"),
        *[(f"TagKeys.member.{index}", key) for index, key in enumerate(keys, 1)],
    )


def test_list_too_short() -> None:
    """Fewer list members than `min` (STS ProvidedContexts is 1..5)."""
    assert (
        "1 validation error detected: Value '[]' at 'providedContexts' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1"
    ) == _refusal(
        "sts", "AssumeRole", ("RoleArn", "arn:aws:iam::123456789012:role/r"),
        ("RoleSessionName", "s1"), ("ProvidedContexts", ""),
    )


def test_nested_paths_name_the_list_member() -> None:
    """A violation inside a list of structures is located as `tags.N.member.key`."""
    assert (
        "2 validation errors detected: Value 'a#b' at 'tags.2.member.key' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+; "
        "Value null at 'tags.2.member.value' failed to satisfy constraint: "
        "Member must not be null"
    ) == _refusal(
        "iam", "TagUser", ("UserName", "bob"),
        ("Tags.member.1.Key", "ok"), ("Tags.member.1.Value", "v"),
        ("Tags.member.2.Key", "a#b"),
    )


def test_several_violations_are_reported_together_in_model_order() -> None:
    """Every violation of the request is listed, in model order, joined with '; '."""
    assert (
        "4 validation errors detected: "
        "Value 'no-slash' at 'pathPrefix' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*; "
        "Value '' at 'marker' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'marker' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+; "
        "Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    ) == _refusal(
        "iam", "ListUsers", ("MaxItems", "0"), ("Marker", ""), ("PathPrefix", "no-slash")
    )


def test_sensitive_values_are_not_echoed() -> None:
    """A sensitive member's value stays out of the message."""
    assert (
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy "
        "constraint: Member must have length greater than or equal to 4"
    ) == _refusal(
        "sts", "AssumeRoleWithWebIdentity", ("RoleArn", "arn:aws:iam::123456789012:role/r"),
        ("RoleSessionName", "s1"), ("WebIdentityToken", "abc"),
    )
