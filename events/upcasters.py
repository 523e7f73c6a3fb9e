"""Upcasters: a log written by an older release always replays.

An upcaster turns the JSON data of version N of an event type into version N+1. Decoding applies
them in a chain until the payload has the model's current version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


def _access_key_issued_v1_to_v2(data: Payload) -> Payload:
    # Before master keys were versioned every secret was derived from master key 1.
    return {**data, "master_key_version": 1}


def _session_issued_v1_to_v2(data: Payload) -> Payload:
    # v1 knew only GetSessionToken sessions, which have no federated name.
    return {**data, "federated_name": None}


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("iamlog.access_key.issued", 1): _access_key_issued_v1_to_v2,
    ("iamlog.session.issued", 1): _session_issued_v1_to_v2,
}


class UnknownEventVersion(ValueError):
    """A payload's version has no upcaster path to the current model."""


def upcast(event_type: str, version: int, target: int, data: Payload) -> Payload:
    """Bring `data` from `version` up to `target`."""
    while version < target:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnknownEventVersion(f"no upcaster for {event_type} v{version}")
        data = step(data)
        version += 1
    if version != target:
        raise UnknownEventVersion(f"{event_type} v{version} is newer than this release (v{target})")
    return data
