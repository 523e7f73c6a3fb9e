"""Python values → the XML body of a Query response, following the output shape's plan.

Lists become `<member>` elements, maps `<entry><key/><value/></entry>`, timestamps ISO 8601 in
UTC with `Z`, booleans `true`/`false`, blobs base64. `None` values are left out, and so are
keys the shape does not know (handlers may pass richer dicts).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
from services.api.query.xml import escape


def encode_structure(out: list[str], value: Mapping[str, Any], plan: StructurePlan) -> None:
    """Append the members of `value` present in `plan`, in model order."""
    for member in plan.members:
        item = value.get(member.name)
        if item is None:
            continue
        tag = member.wire
        out.append(f"<{tag}>")
        encode_value(out, item, member.plan)
        out.append(f"</{tag}>")


def encode_value(out: list[str], value: Any, plan: Plan) -> None:
    """Append the content (not the enclosing tag) of one value."""
    if isinstance(plan, StringPlan):
        out.append(escape(value if isinstance(value, str) else str(value)))
    elif isinstance(plan, StructurePlan):
        encode_structure(out, value, plan)
    elif isinstance(plan, ListPlan):
        tag = plan.member_name
        for item in value:
            out.append(f"<{tag}>")
            encode_value(out, item, plan.member)
            out.append(f"</{tag}>")
    elif isinstance(plan, MapPlan):
        key_tag, value_tag = plan.key_name, plan.value_name
        for key, item in value.items():
            out.append(f"<entry><{key_tag}>")
            encode_value(out, key, plan.key)
            out.append(f"</{key_tag}><{value_tag}>")
            encode_value(out, item, plan.value)
            out.append(f"</{value_tag}></entry>")
    elif isinstance(plan, BooleanPlan):
        out.append("true" if value else "false")
    elif isinstance(plan, IntegerPlan):
        out.append(str(int(value)))
    elif isinstance(plan, TimestampPlan):
        out.append(format_timestamp(value))
    elif isinstance(plan, BlobPlan):
        raw = value.encode() if isinstance(value, str) else bytes(value)
        out.append(base64.b64encode(raw).decode("ascii"))
    else:  # pragma: no cover - the plan union is closed
        raise TypeError(f"no encoder for {plan!r}")


def format_timestamp(value: datetime | str) -> str:
    """ISO 8601 in UTC with `Z`; milliseconds only when the instant has them (as AWS does)."""
    if isinstance(value, str):
        return escape(value)
    instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # isoformat is several times cheaper than strftime; this runs for every date of a listing.
    naive = instant.replace(tzinfo=None)
    if instant.microsecond:
        return naive.isoformat(timespec="milliseconds") + "Z"
    return naive.isoformat(timespec="seconds") + "Z"
