"""Shared test data for the event and account tests: a fake id source, a fixed clock and
hypothesis strategies that build valid instances of every event model."""

from __future__ import annotations

import hashlib
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from domain.account import AccountState, Context, decide, fold
from domain.commands import Command
from events.cloudevents import EventMeta
from events.schemas import Event, Tag

ACCOUNT = "123456789012"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MASTER_KEY_VERSION = 3


class FakeIds:
    """Deterministic `IdSource`: the n-th call returns the first bytes of sha256(seed, n)."""

    def __init__(self, seed: str = "iamlog-tests") -> None:
        self.seed = seed
        self.calls = 0

    def random_bytes(self, n: int) -> bytes:
        """Return n bytes that depend only on the seed and the number of earlier calls."""
        self.calls += 1
        return hashlib.sha256(f"{self.seed}/{self.calls}".encode()).digest()[:n]


def context(seed: str = "iamlog-tests") -> Context:
    """A context with a fixed clock, fake ids and master key version 3."""
    return Context(now=NOW, ids=FakeIds(seed), master_key_version=MASTER_KEY_VERSION)


def replay(commands: list[Command], account: str = ACCOUNT) -> list[Event]:
    """The events that deciding `commands` in order produces; each must succeed."""
    ctx = context("history")
    state = AccountState(account_id=account)
    events: list[Event] = []
    for command in commands:
        new = decide(state, command, ctx)
        state = fold(state, new)
        events += new
    return events


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))
_offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5,
                                                                                  minutes=-30))])
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=_offsets)
_NAME_CHARS = string.ascii_letters + string.digits + "_+=,.@-"
account_ids = st.text(string.digits, min_size=12, max_size=12)
user_names = st.text(_NAME_CHARS, min_size=1, max_size=64)
arns = st.text(max_size=200)

FIELD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "account_id": account_ids,
    "access_key_id": st.text(_B32, min_size=16, max_size=16).map(lambda s: "AKIA" + s),
    "user_name": user_names,
    "user_id": st.text(_B32, min_size=17, max_size=17).map(lambda s: "AIDA" + s),
    "path": st.just("/") | st.text(_PRINTABLE, min_size=1, max_size=100).map(lambda s: f"/{s}/"),
    "arn": arns,
    "owner_arn": arns,
    "salt": st.binary(min_size=16, max_size=16).map(bytes.hex),
    "master_key_version": st.integers(min_value=1, max_value=1000),
    "created_at": moments,
    "used_at": moments,
    "new_user_name": user_names,
    "new_path": st.just("/") | st.text(_PRINTABLE, min_size=1, max_size=100).map(
        lambda s: f"/{s}/"),
    "tags": st.lists(st.builds(Tag, key=st.text(min_size=1, max_size=128),
                               value=st.text(max_size=256)), max_size=50).map(tuple),
    "tag_keys": st.lists(st.text(min_size=1, max_size=128), max_size=50).map(tuple),
    "group_name": user_names,
    "group_id": st.text(_B32, min_size=17, max_size=17).map(lambda s: "AGPA" + s),
    "policy_name": user_names,
    "policy_id": st.text(_B32, min_size=17, max_size=17).map(lambda s: "ANPA" + s),
    "policy_arn": arns,
    "description": st.text(max_size=1000),
    "document": st.text(max_size=300),
    "version_id": st.integers(min_value=1, max_value=10**6).map(lambda n: f"v{n}"),
    "previous_version_id": st.integers(min_value=1, max_value=10**6).map(lambda n: f"v{n}"),
    "set_as_default": st.booleans(),
    "entity_type": st.sampled_from(["user", "group", "role"]),
    "role_name": user_names,
    "role_id": st.text(_B32, min_size=17, max_size=17).map(lambda s: "AROA" + s),
    "trust_policy": st.text(max_size=300),
    "max_session_duration": st.integers(min_value=3600, max_value=43_200),
    "entity_name": user_names,
    "entity_id": st.text(_B32, min_size=21, max_size=21),
    "entity_arn": arns,
    "session_id": st.binary(min_size=16, max_size=16).map(bytes.hex),
    "session_kind": st.sampled_from(["session_token", "federated_user"]),
    "federated_name": st.text(_NAME_CHARS, min_size=2, max_size=32),
    "principal_arn": arns,
    "session_key_id": st.text(_B32, min_size=16, max_size=16).map(lambda s: "ASIA" + s),
    "source_key_id": st.text(_B32, min_size=16, max_size=16).map(lambda s: "AKIA" + s),
    "issued_at": moments,
    "expires_at": moments,
    "role_arn": arns,
    "caller_arn": arns,
    "role_session_name": st.text(_NAME_CHARS, min_size=2, max_size=64),
    "source_identity": st.text(_NAME_CHARS, min_size=2, max_size=64),
    "reason": st.text(min_size=1, max_size=256),
    "explicit_expires_at": moments,
    "rotation_due_at": moments,
    "max_age_days": st.integers(min_value=1, max_value=36_500),
    "new_access_key_id": st.text(_B32, min_size=16, max_size=16).map(lambda s: "AKIA" + s),
    "disable_at": moments,
    "delete_at": moments,
    "revoked_at": moments,
    "service": st.text(min_size=1, max_size=64),
    "region": st.text(min_size=1, max_size=32),
    "profile_name": st.text(_NAME_CHARS, min_size=1, max_size=128),
    "profile_id": st.text(_B32, min_size=17, max_size=17).map(lambda s: "AIPA" + s),
    "profile_arn": arns,
    "workload": user_names,
    "bearer_sha256": st.binary(min_size=32, max_size=32).map(bytes.hex),
    "bound_at": moments,
    "unbound_at": moments,
    "removed_at": moments,
    "revoked_session_ids": st.lists(st.binary(min_size=16, max_size=16).map(bytes.hex),
                                    max_size=5).map(tuple),
    "old_session_id": st.binary(min_size=16, max_size=16).map(bytes.hex),
    "url": st.text(_NAME_CHARS, min_size=1, max_size=40).map(lambda s: "https://" + s),
    "client_ids": st.lists(st.text(min_size=1, max_size=40), max_size=3).map(tuple),
    "thumbprints": st.lists(st.text("0123456789abcdef", min_size=40, max_size=40),
                            max_size=2).map(tuple),
    "jwks": st.just('{"keys": []}'),
}


def events_of(model: type[Event]) -> st.SearchStrategy[Event]:
    """Valid instances of `model`; a field without a strategy above fails loudly."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        strategy = FIELD_STRATEGIES[name]
        if not info.is_required() or _nullable(info.annotation):
            strategy = st.none() | strategy
        fields[name] = strategy
    return st.fixed_dictionaries(fields).map(lambda kwargs: model(**kwargs))


def _nullable(annotation: Any) -> bool:
    return type(None) in getattr(annotation, "__args__", ())


metas = st.builds(
    EventMeta,
    id=st.uuids().map(str),
    time=moments,
    sequence=st.integers(min_value=0, max_value=2**63 - 1),
    command_id=st.text(min_size=1, max_size=64),
    traceparent=st.none() | st.builds(
        "00-{}-{}-0{}".format, st.binary(min_size=16, max_size=16).map(bytes.hex),
        st.binary(min_size=8, max_size=8).map(bytes.hex), st.sampled_from("01")),
)
