"""Form parameters → Python values for one operation's input, checked against the model.

Keys are split on `.` into a tree (`Tags.member.1.Key` → Tags → member → 1 → Key) and read with
the operation's plan. Every constraint violation is collected, then reported at once in AWS's
wording (`N validation errors detected: Value '…' at 'tags.1.member.key' failed to satisfy
constraint: …; …`); a value that cannot be read as its type stops decoding at once.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from services.api.query.errors import QueryInvalidParameterValue, QueryValidationError
from services.api.query.plans import (
    BlobPlan,
    BooleanPlan,
    IntegerPlan,
    ListPlan,
    MapPlan,
    Plan,
    StringPlan,
    StructurePlan,
    TimestampPlan,
)

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_INDEX = re.compile(r"[1-9][0-9]{0,5}")


class _Absent:
    """A member not given (or given only through keys the model does not know)."""


ABSENT: Final = _Absent()


class Node:
    """One segment of the parameter tree: the value at this exact key, and deeper keys."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, Node] = {}


def build_tree(pairs: Iterable[tuple[str, str]], top: StructurePlan) -> Node:
    """The tree of the parameters whose first segment names a top-level member."""
    root = Node()
    known = top.by_wire
    for key, value in pairs:
        head, dot, rest = key.partition(".")
        if head not in known:
            continue  # unknown parameters are ignored, as AWS does
        node = root.children.get(head)
        if node is None:
            node = root.children[head] = Node()
        if dot:
            for segment in rest.split("."):
                child = node.children.get(segment)
                if child is None:
                    child = node.children[segment] = Node()
                node = child
        node.value = value
    return root


def decode_input(root: Node, plan: StructurePlan) -> dict[str, Any]:
    """The operation's arguments keyed by member name; raises on any violation."""
    decoder = _Decoder()
    args = decoder.structure(root, plan, "")
    if decoder.violations:
        count = len(decoder.violations)
        plural = "s" if count > 1 else ""
        raise QueryValidationError(
            f"{count} validation error{plural} detected: " + "; ".join(decoder.violations)
        )
    return args


def _join(path: str, segment: str) -> str:
    return f"{path}.{segment}" if path else segment


class _Decoder:
    __slots__ = ("violations",)

    def __init__(self) -> None:
        self.violations: list[str] = []

    def violate(self, shown: str, path: str, constraint: str) -> None:
        self.violations.append(
            f"{shown} at '{path}' failed to satisfy constraint: {constraint}"
        )

    def value(self, node: Node, plan: Plan, path: str) -> Any:
        if isinstance(plan, StructurePlan):
            return self.structure(node, plan, path) if node.children else ABSENT
        if isinstance(plan, ListPlan):
            return self.listing(node, plan, path)
        if isinstance(plan, MapPlan):
            return self.mapping(node, plan, path)
        if node.value is None:
            return ABSENT
        return self.scalar(node.value, plan, path)

    def scalar(self, raw: str, plan: Plan, path: str) -> Any:
        if isinstance(plan, StringPlan):
            return self.string(raw, plan, path)
        if isinstance(plan, IntegerPlan):
            return self.integer(raw, plan, path)
        return _SCALARS[type(plan)](raw, path)

    def structure(self, node: Node, plan: StructurePlan, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        children = node.children
        for member in plan.members:
            child = children.get(member.wire)
            if child is None:
                continue
            decoded = self.value(child, member.plan, _join(path, member.camel))
            if decoded is not ABSENT:
                out[member.name] = decoded
        for member in plan.required:
            if member.name not in out:
                self.violate("Value null", _join(path, member.camel), "Member must not be null")
        return out

    def string(self, raw: str, plan: StringPlan, path: str) -> str:
        shown = "Value" if plan.sensitive else f"Value '{raw}'"
        length = len(raw)
        if plan.min is not None and length < plan.min:
            self.violate(
                shown, path, f"Member must have length greater than or equal to {plan.min}"
            )
        if plan.max is not None and length > plan.max:
            self.violate(
                shown, path, f"Member must have length less than or equal to {plan.max}"
            )
        if plan.pattern is not None and plan.pattern.fullmatch(raw) is None:
            self.violate(
                shown, path,
                f"Member must satisfy regular expression pattern: {plan.pattern_source}",
            )
        if plan.enum_set and raw not in plan.enum_set:
            self.violate(
                shown, path, f"Member must satisfy enum value set: [{', '.join(plan.enum)}]"
            )
        return raw

    def integer(self, raw: str, plan: IntegerPlan, path: str) -> int:
        if _INTEGER.fullmatch(raw) is None:
            raise QueryInvalidParameterValue(
                f"Value '{raw}' at '{path}' is not a valid integer"
            )
        number = int(raw)
        if plan.min is not None and number < plan.min:
            self.violate(
                f"Value '{number}'", path,
                f"Member must have value greater than or equal to {plan.min}",
            )
        if plan.max is not None and number > plan.max:
            self.violate(
                f"Value '{number}'", path,
                f"Member must have value less than or equal to {plan.max}",
            )
        return number

    def listing(self, node: Node, plan: ListPlan, path: str) -> Any:
        container = node if plan.flattened else node.children.get(plan.member_name)
        items: list[Any] = []
        if container is None or not container.children:
            # `Name=` (empty) is how botocore sends an empty list.
            if node.value != "":
                return ABSENT
        else:
            indexed = sorted(
                (int(key), child)
                for key, child in container.children.items()
                if _INDEX.fullmatch(key)
            )
            for position, (_, child) in enumerate(indexed, 1):
                decoded = self.value(child, plan.member, f"{path}.{position}.member")
                if decoded is not ABSENT:
                    items.append(decoded)
        self.length(items, plan.min, plan.max, path, _shown_list(items))
        return items

    def mapping(self, node: Node, plan: MapPlan, path: str) -> Any:
        container = node if plan.flattened else node.children.get("entry")
        if container is None or not container.children:
            return {} if node.value == "" else ABSENT
        indexed = sorted(
            (int(key), child) for key, child in container.children.items() if _INDEX.fullmatch(key)
        )
        out: dict[Any, Any] = {}
        for position, (_, entry) in enumerate(indexed, 1):
            key_node = entry.children.get(plan.key_name)
            value_node = entry.children.get(plan.value_name)
            entry_path = f"{path}.{position}.entry"
            key = ABSENT if key_node is None else self.value(key_node, plan.key, entry_path)
            value = (
                ABSENT if value_node is None else self.value(value_node, plan.value, entry_path)
            )
            if key is ABSENT or value is ABSENT:
                self.violate("Value null", entry_path, "Member must not be null")
                continue
            out[key] = value
        self.length(out, plan.min, plan.max, path, "Value")
        return out

    def length(
        self, items: list[Any] | dict[Any, Any], low: int | None, high: int | None, path: str,
        shown: str,
    ) -> None:
        if low is not None and len(items) < low:
            self.violate(shown, path, f"Member must have length greater than or equal to {low}")
        if high is not None and len(items) > high:
            self.violate(shown, path, f"Member must have length less than or equal to {high}")


def _shown_list(items: list[Any]) -> str:
    # Coral prints a list of scalars the way Java's List.toString does; structures it omits.
    if all(isinstance(item, str | int) for item in items):
        return f"Value '[{', '.join(str(item) for item in items)}]'"
    return "Value"


def _boolean(raw: str, path: str) -> bool:
    lowered = raw.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise QueryInvalidParameterValue(f"Value '{raw}' at '{path}' is not a valid boolean")


def _timestamp(raw: str, path: str) -> datetime:
    try:
        if _INTEGER.fullmatch(raw):
            return datetime.fromtimestamp(int(raw), UTC)
        parsed = datetime.fromisoformat(raw)
    except (ValueError, OverflowError, OSError) as exc:
        raise QueryInvalidParameterValue(
            f"Value '{raw}' at '{path}' is not a valid ISO 8601 timestamp"
        ) from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _blob(raw: str, path: str) -> bytes:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise QueryInvalidParameterValue(f"Value at '{path}' is not valid base64") from exc


_SCALARS: dict[type[Plan], Callable[[str, str], Any]] = {
    BooleanPlan: _boolean,
    TimestampPlan: _timestamp,
    BlobPlan: _blob,
}
