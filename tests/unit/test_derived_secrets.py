"""Derived secrets are remembered while their credential lives, and not after."""

from __future__ import annotations

from datetime import timedelta

from domain.account import AccountState, decide, fold
from domain.commands import Command, CreateAccessKey, CreateAccount, CreateUser, DeleteAccessKey
from events.schemas import AccessKeyIssued, Event
from services.api.authn import KeyResolver
from services.api.identity_index import IdentityIndex
from services.credentials.derived_secrets import MIN_SWEEP, DerivedSecrets
from services.credentials.master_keys import MasterKeys
from services.credentials.session_tokens import SessionTokens
from services.settings import Settings
from tests.unit.samples import ACCOUNT, MASTER_KEY_VERSION, NOW, context

KEYS = MasterKeys({1: bytes(range(32)), MASTER_KEY_VERSION: bytes(range(1, 33))})


def test_a_secret_is_derived_once_while_remembered() -> None:
    """The second lookup of a key returns the first derivation without deriving again."""
    calls: list[str] = []

    def derive(key: str) -> str:
        calls.append(key)
        return f"secret of {key}"

    cache: DerivedSecrets[str, None] = DerivedSecrets(derive, lambda _key, _tag: True)

    assert "secret of AKIA1" == cache.get("AKIA1", None)
    assert "secret of AKIA1" == cache.get("AKIA1", None)
    assert ["AKIA1"] == calls


def test_dead_entries_go_at_the_next_sweep() -> None:
    """Entries their owner calls dead are dropped: the size follows the live ones."""
    live: set[int] = set()
    cache: DerivedSecrets[int, None] = DerivedSecrets(lambda _key: "s",
                                                      lambda key, _tag: key in live)
    for number in range(20 * MIN_SWEEP):
        live.add(number)
        live.discard(number - 100)  # a hundred live credentials at any time
        cache.get(number, None)

    assert len(cache) <= 2 * MIN_SWEEP


def test_dead_entries_go_within_a_minute_below_the_doubling() -> None:
    """Between doublings a sweep runs once a minute: with 5,000 live credentials, 500 that
    died are gone a minute later although the cache never doubled."""
    now = 0.0
    live = set(range(5000))
    cache: DerivedSecrets[int, None] = DerivedSecrets(lambda _key: "s",
                                                      lambda key, _tag: key in live,
                                                      clock=lambda: now)
    for number in range(5000):
        cache.get(number, None)
    live -= set(range(500))
    now = 61.0
    cache.get(5000, None)
    live.add(5000)

    assert 4501 == len(cache)


def test_live_entries_are_bounded() -> None:
    """Beyond the bound the oldest live entries go; the newest stay."""
    cache: DerivedSecrets[int, None] = DerivedSecrets(lambda _key: "s", lambda _key, _tag: True,
                                                      max_entries=4096)
    for number in range(50_000):
        cache.get(number, None)

    assert len(cache) <= 4096
    assert 49_999 in cache


def test_expired_sessions_leave_the_secret_cache() -> None:
    """Secrets of expired sessions are not kept: 10,000 sessions that expired leave fewer
    than two sweeps' worth, while an unexpired one stays cached."""
    now = NOW.timestamp()
    tokens = SessionTokens(KEYS, clock=lambda: now)
    for _ in range(10_000):
        tokens.issue(account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                     kind="session_token", name="alice", principal_id="AIDAEXAMPLE",
                     issued_at=NOW - timedelta(hours=2), expires_at=NOW - timedelta(hours=1))
    live = tokens.issue(account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                        kind="session_token", name="alice", principal_id="AIDAEXAMPLE",
                        issued_at=NOW, expires_at=NOW + timedelta(hours=1))

    assert len(tokens.secrets) <= 2 * MIN_SWEEP
    assert live.secret_access_key == tokens.secret_of(live.claims, live.master_key_version)


def test_deleted_keys_leave_the_resolver_cache() -> None:
    """Once a long-term key is deleted its derived secret goes at the next sweep, while the
    user's live key stays cached."""
    index = IdentityIndex(Settings())
    resolver = KeyResolver(index, KEYS)
    ctx = context("keys")
    state = AccountState(account_id=ACCOUNT)

    def run(command: Command) -> list[Event]:
        nonlocal state
        events = decide(state, command, ctx)
        state = fold(state, events)
        for event in events:
            index.apply(event)
        return events

    run(CreateAccount())
    run(CreateUser(user_name="Alice"))
    kept = next(e for e in run(CreateAccessKey(user_name="Alice"))
                if isinstance(e, AccessKeyIssued))
    resolver.credential(index.keys[kept.access_key_id])
    for _ in range(5 * MIN_SWEEP):
        issued = next(e for e in run(CreateAccessKey(user_name="Alice"))
                      if isinstance(e, AccessKeyIssued))
        resolver.credential(index.keys[issued.access_key_id])
        run(DeleteAccessKey(user_name="Alice", access_key_id=issued.access_key_id))

    assert len(resolver.secrets) <= MIN_SWEEP
    assert (kept.master_key_version, kept.access_key_id, kept.salt) in resolver.secrets
