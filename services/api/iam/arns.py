"""ARNs of the entities an IAM action targets (the `resource` of its authorization)."""

from __future__ import annotations

from services.api.iam.registry import Call


def user(call: Call, name: str) -> str:
    """The user's ARN (its real path when it exists, else `/`)."""
    state = call.state
    known = state.users.get(name.lower()) if state is not None else None
    return known.arn if known is not None else f"arn:aws:iam::{call.account_id}:user/{name}"


def group(call: Call, name: str, path: str | None = None) -> str:
    """The group's ARN (its real path when it exists)."""
    state = call.state
    groups = getattr(state, "groups", None) or {}
    known = groups.get(name.lower())
    if known is not None and path is None:
        return str(known.arn)
    return f"arn:aws:iam::{call.account_id}:group{path or '/'}{name}"


def policy(call: Call, name: str, path: str = "/") -> str:
    """A customer-managed policy's ARN."""
    return f"arn:aws:iam::{call.account_id}:policy{path}{name}"
