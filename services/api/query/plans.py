"""Per-shape plans built once from botocore's model: what to read, check and write for each member.

A plan is a frozen description of one shape with its constraints resolved (patterns compiled,
serialized names chosen, Coral's lower-camel member paths computed), so requests and responses
never walk botocore's model objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.api.query.patterns import compile_java


@dataclass(frozen=True, slots=True)
class StringPlan:
    """A string: length bounds, a pattern, an enum."""

    min: int | None = None
    max: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_source: str = ""
    enum: tuple[str, ...] = ()
    enum_set: frozenset[str] = frozenset()
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class IntegerPlan:
    """An integer with optional bounds."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class BooleanPlan:
    """`true` / `false`."""


@dataclass(frozen=True, slots=True)
class TimestampPlan:
    """An ISO 8601 instant."""


@dataclass(frozen=True, slots=True)
class BlobPlan:
    """Bytes, base64 on the wire."""

    sensitive: bool = False


@dataclass(slots=True, eq=False)
class ListPlan:
    """`Name.member.N` (or `Name.N` when flattened); `<member>` elements in XML."""

    member: Plan = field(default_factory=BooleanPlan, repr=False)
    member_name: str = "member"
    flattened: bool = False
    min: int | None = None
    max: int | None = None


@dataclass(slots=True, eq=False)
class MapPlan:
    """`Name.entry.N.key` / `.value`; `<entry><key/><value/></entry>` in XML."""

    key: Plan = field(default_factory=BooleanPlan, repr=False)
    value: Plan = field(default_factory=BooleanPlan, repr=False)
    key_name: str = "key"
    value_name: str = "value"
    flattened: bool = False
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class MemberPlan:
    """One member of a structure: its model name, wire name, path segment in messages, plan."""

    name: str
    wire: str
    camel: str
    plan: Plan


@dataclass(slots=True, eq=False)
class StructurePlan:
    """Members in model order, by wire name, and the required ones."""

    members: tuple[MemberPlan, ...] = field(default=(), repr=False)
    by_wire: dict[str, MemberPlan] = field(default_factory=dict, repr=False)
    by_name: dict[str, MemberPlan] = field(default_factory=dict, repr=False)
    required: tuple[MemberPlan, ...] = field(default=(), repr=False)


Plan = (
    StringPlan | IntegerPlan | BooleanPlan | TimestampPlan | BlobPlan | ListPlan | MapPlan
    | StructurePlan
)


def lower_camel(name: str) -> str:
    """Coral's spelling of a member in validation messages: `UserName` → `userName`."""
    return name[:1].lower() + name[1:]


class PlanBuilder:
    """Builds (and shares) plans for botocore shapes; recursive shapes reuse one plan object."""

    def __init__(self) -> None:
        self._plans: dict[str, Plan] = {}

    def plan(self, shape: Any) -> Plan:
        """The plan for a botocore `Shape`."""
        known = self._plans.get(shape.name)
        if known is not None:
            return known
        kind: str = shape.type_name
        metadata: dict[str, Any] = shape.metadata
        if kind == "structure":
            struct = StructurePlan()
            self._plans[shape.name] = struct
            members = tuple(
                MemberPlan(
                    name=name,
                    wire=member.serialization.get("name", name),
                    camel=lower_camel(name),
                    plan=self.plan(member),
                )
                for name, member in shape.members.items()
            )
            struct.members = members
            struct.by_wire = {member.wire: member for member in members}
            struct.by_name = {member.name: member for member in members}
            required = set(shape.required_members)
            struct.required = tuple(member for member in members if member.name in required)
            return struct
        if kind == "list":
            listing = ListPlan(
                member_name=shape.member.serialization.get("name", "member"),
                flattened=bool(shape.serialization.get("flattened")),
                min=metadata.get("min"),
                max=metadata.get("max"),
            )
            self._plans[shape.name] = listing
            listing.member = self.plan(shape.member)
            return listing
        if kind == "map":
            mapping = MapPlan(
                key_name=shape.key.serialization.get("name", "key"),
                value_name=shape.value.serialization.get("name", "value"),
                flattened=bool(shape.serialization.get("flattened")),
                min=metadata.get("min"),
                max=metadata.get("max"),
            )
            self._plans[shape.name] = mapping
            mapping.key = self.plan(shape.key)
            mapping.value = self.plan(shape.value)
            return mapping
        plan = _scalar_plan(kind, metadata, list(getattr(shape, "enum", None) or ()))
        self._plans[shape.name] = plan
        return plan


def _scalar_plan(kind: str, metadata: dict[str, Any], enum: list[str]) -> Plan:
    sensitive = bool(metadata.get("sensitive"))
    if kind == "string":
        source = metadata.get("pattern", "")
        return StringPlan(
            min=metadata.get("min"),
            max=metadata.get("max"),
            pattern=compile_java(source) if source else None,
            pattern_source=source,
            enum=tuple(enum),
            enum_set=frozenset(enum),
            sensitive=sensitive,
        )
    if kind in ("integer", "long"):
        return IntegerPlan(min=metadata.get("min"), max=metadata.get("max"))
    if kind == "boolean":
        return BooleanPlan()
    if kind == "timestamp":
        return TimestampPlan()
    if kind == "blob":
        return BlobPlan(sensitive=sensitive)
    raise ValueError(f"shape type {kind!r} is not used by the IAM and STS models")
