"""Condition operator names: `[ForAllValues:|ForAnyValue:]<Base>[IfExists]`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    """How an operator compares the request's value with the policy's."""

    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


class SetQualifier(StrEnum):
    """The set operators that apply a base operator to each value of a multivalued key."""

    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator.

    `negated` operators are the complement of `positive` (StringNotLike is not StringLike);
    `comparison` names the relation for ordered families (Equals, LessThan, …).
    """

    name: str
    family: Family
    positive: str
    negated: bool
    comparison: str
    if_exists: bool
    qualifier: SetQualifier | None


# base name → (family, positive base name, negated, comparison)
_BASES: dict[str, tuple[Family, str, bool, str]] = {
    "StringEquals": (Family.STRING, "StringEquals", False, "Equals"),
    "StringNotEquals": (Family.STRING, "StringEquals", True, "Equals"),
    "StringEqualsIgnoreCase": (Family.STRING, "StringEqualsIgnoreCase", False, "EqualsIgnoreCase"),
    "StringNotEqualsIgnoreCase": (
        Family.STRING, "StringEqualsIgnoreCase", True, "EqualsIgnoreCase",
    ),
    "StringLike": (Family.STRING, "StringLike", False, "Like"),
    "StringNotLike": (Family.STRING, "StringLike", True, "Like"),
    "NumericEquals": (Family.NUMERIC, "NumericEquals", False, "Equals"),
    "NumericNotEquals": (Family.NUMERIC, "NumericEquals", True, "Equals"),
    "NumericLessThan": (Family.NUMERIC, "NumericLessThan", False, "LessThan"),
    "NumericLessThanEquals": (Family.NUMERIC, "NumericLessThanEquals", False, "LessThanEquals"),
    "NumericGreaterThan": (Family.NUMERIC, "NumericGreaterThan", False, "GreaterThan"),
    "NumericGreaterThanEquals": (
        Family.NUMERIC, "NumericGreaterThanEquals", False, "GreaterThanEquals",
    ),
    "DateEquals": (Family.DATE, "DateEquals", False, "Equals"),
    "DateNotEquals": (Family.DATE, "DateEquals", True, "Equals"),
    "DateLessThan": (Family.DATE, "DateLessThan", False, "LessThan"),
    "DateLessThanEquals": (Family.DATE, "DateLessThanEquals", False, "LessThanEquals"),
    "DateGreaterThan": (Family.DATE, "DateGreaterThan", False, "GreaterThan"),
    "DateGreaterThanEquals": (Family.DATE, "DateGreaterThanEquals", False, "GreaterThanEquals"),
    "Bool": (Family.BOOL, "Bool", False, "Equals"),
    "BinaryEquals": (Family.BINARY, "BinaryEquals", False, "Equals"),
    "IpAddress": (Family.IP, "IpAddress", False, "In"),
    "NotIpAddress": (Family.IP, "IpAddress", True, "In"),
    "ArnEquals": (Family.ARN, "ArnLike", False, "Like"),
    "ArnLike": (Family.ARN, "ArnLike", False, "Like"),
    "ArnNotEquals": (Family.ARN, "ArnLike", True, "Like"),
    "ArnNotLike": (Family.ARN, "ArnLike", True, "Like"),
    "Null": (Family.NULL, "Null", False, "Null"),
}

_IF_EXISTS = "IfExists"


def parse_operator(name: str) -> Operator | None:
    """Parse an operator name as AWS spells it; None if it is not one."""
    qualifier: SetQualifier | None = None
    rest = name
    for candidate in SetQualifier:
        prefix = f"{candidate.value}:"
        if rest.startswith(prefix):
            qualifier, rest = candidate, rest[len(prefix):]
            break
    if_exists = rest.endswith(_IF_EXISTS)
    if if_exists:
        rest = rest[: -len(_IF_EXISTS)]
    base = _BASES.get(rest)
    if base is None:
        return None
    family, positive, negated, comparison = base
    if family is Family.NULL and (if_exists or qualifier is not None):
        return None
    return Operator(name, family, positive, negated, comparison, if_exists, qualifier)
