"""Checks of single element values (actions, ARNs, principals, condition values).

Each check returns None when the value is fine, else the `MalformedPolicyDocument` message.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re

from domain.policy.operators import Family
from domain.policy.timeparse import parse_instant

PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e",
                        "aws-iso-f", "aws-eusc"})

_VENDOR = re.compile(r"[a-z0-9][a-z0-9-]*", re.IGNORECASE)
_ACTION_NAME = re.compile(r"[A-Za-z0-9_*?-]+")
_ACCOUNT = re.compile(r"\d{12}")
_AWS_PRINCIPAL_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:(?:iam::\d{12}:(?:root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)"
    r"|sts::\d{12}:(?:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+|federated-user/[\w+=,.@-]+))",
)
_FEDERATED_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:saml|oidc)-provider/\S+")
_HOSTNAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
_CANONICAL_USER = re.compile(r"[0-9a-f]{64}")
_SID = re.compile(r"[0-9A-Za-z]*")

ACTION_VENDOR_MESSAGE = (
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
)


def check_action(action: str) -> str | None:  # noqa: PLR0911 - one return per AWS message
    """`*` or `vendor:Name` with wildcards only in the name."""
    if action == "*":
        return None
    if ":" not in action:
        return ACTION_VENDOR_MESSAGE
    vendor, _, name = action.partition(":")
    if ":" in name:
        return "Actions/Condition can contain only one colon."
    if "*" in vendor or "?" in vendor:
        return "Action vendors must not contain wildcards."
    if not _VENDOR.fullmatch(vendor):
        return f"Vendor {vendor} is not valid"
    if not _ACTION_NAME.fullmatch(name):
        return f'Action "{action}" is not valid: the name after the vendor is missing or has '\
            "characters other than letters, digits, _, -, * and ?."
    return None


def check_resource(resource: str) -> str | None:
    """`*` or an ARN with a known partition and a literal service."""
    if resource == "*":
        return None
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return f'Resource {resource} must be in ARN format or "*".'
    partition, service = parts[1], parts[2]
    if partition not in PARTITIONS:
        return f'Partition "{partition}" is not valid for resource "{resource}".'
    if not service or "*" in service or "?" in service:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    return None


def check_condition_key(key: str) -> str | None:
    """Condition keys are `vendor:name` (`aws:SourceIp`, `sts:ExternalId`, `issuer:sub`)."""
    prefix, colon, name = key.partition(":")
    if not colon or not prefix or not name:
        return ACTION_VENDOR_MESSAGE
    return None


def check_sid(sid: str) -> str | None:
    """IAM accepts only letters and digits in a Sid."""
    if _SID.fullmatch(sid):
        return None
    return ("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
            "regular expression [0-9A-Za-z]*")


def check_principal_value(principal_type: str, value: str) -> str | None:
    """Principals name whole identities: no partial wildcards."""
    valid = False
    if principal_type == "AWS":
        valid = (value == "*" or bool(_ACCOUNT.fullmatch(value))
                 or bool(_AWS_PRINCIPAL_ARN.fullmatch(value)))
    elif principal_type == "Federated":
        valid = bool(_FEDERATED_ARN.fullmatch(value) or _HOSTNAME.fullmatch(value))
    elif principal_type == "Service":
        valid = bool(_HOSTNAME.fullmatch(value))
    elif principal_type == "CanonicalUser":
        valid = bool(_CANONICAL_USER.fullmatch(value))
    if valid:
        return None
    return f"Invalid principal in policy: {json.dumps(principal_type)}:{json.dumps(value)}"


def check_condition_value(family: Family, operator: str, key: str, value: str) -> str | None:
    """Typed operators need values of their type; string and ARN operators take any text."""
    expected = _value_problem(family, value)
    if expected is None:
        return None
    return f'Invalid value "{value}" for {operator} on key {key}: expected {expected}.'


def _value_problem(family: Family, value: str) -> str | None:
    if family is Family.NUMERIC:
        return None if parse_number(value) is not None else "a number"
    if family is Family.DATE:
        return None if parse_instant(value) is not None else "an ISO 8601 date or epoch seconds"
    if family in (Family.BOOL, Family.NULL):
        return None if value.lower() in ("true", "false") else '"true" or "false"'
    if family is Family.BINARY:
        return None if decode_base64(value) is not None else "base64-encoded bytes"
    if family is Family.IP:
        return None if parse_network(value) is not None else "an IPv4 or IPv6 address or CIDR"
    return None


def parse_number(value: str) -> float | None:
    """A finite number, or None."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number - number == 0 else None  # rejects inf and nan


def decode_base64(value: str) -> bytes | None:
    """Strictly decoded base64, or None."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR block (a bare address is a /32 or /128), or None."""
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
