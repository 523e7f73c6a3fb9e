"""Key ages: expiries (own, user tag, account), the rotation reminder at 80 %, `Expired`, and
the rotation dance — given events, when a command, then events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import AccountState, decide, fold
from domain.commands import (
    CreateAccessKey,
    CreateAccount,
    CreateUser,
    ExpireAccessKey,
    MarkAccessKeyRotationDue,
    RotateAccessKey,
    SetAccessKeyExpiry,
    SetAccountKeyMaxAge,
    TagUser,
    UpdateAccessKey,
)
from domain.errors import LimitExceeded, ValidationError
from events.schemas import (
    AccessKeyExpired,
    AccessKeyExpirySet,
    AccessKeyIssued,
    AccessKeyRotationDue,
    AccessKeyRotationStarted,
    Event,
    Tag,
)
from tests.unit.samples import ACCOUNT, NOW, context, replay


def _given(*more: object) -> tuple[AccountState, str]:
    events = replay([CreateAccount(), CreateUser(user_name="Ann"),
                     CreateAccessKey(user_name="Ann"), *more])  # type: ignore[list-item]
    key = next(e for e in events if isinstance(e, AccessKeyIssued) and e.user_name == "Ann")
    return fold(AccountState(account_id=ACCOUNT), events), key.access_key_id


def _then(state: AccountState, command: object) -> tuple[AccountState, list[Event]]:
    events = decide(state, command, context())  # type: ignore[arg-type]
    return fold(state, events), events


def test_an_own_expiry_brings_rotation_due_at_80_percent_then_expired() -> None:
    """set-expiry 10 days after creation: due at day 8 (not before), Expired at day 10, once."""
    state, key = _given()
    state, [expiry] = _then(state, SetAccessKeyExpiry(access_key_id=key,
                                                      expires_at=NOW + timedelta(days=10)))
    assert isinstance(expiry, AccessKeyExpirySet)
    assert (NOW + timedelta(days=10), NOW + timedelta(days=8)) == (expiry.expires_at,
                                                                   expiry.rotation_due_at)
    with pytest.raises(ValidationError):
        decide(state, MarkAccessKeyRotationDue(access_key_id=key, at=NOW + timedelta(days=7)),
               context())
    state, [due] = _then(state, MarkAccessKeyRotationDue(access_key_id=key,
                                                         at=NOW + timedelta(days=8)))
    assert isinstance(due, AccessKeyRotationDue)
    assert [] == decide(state, MarkAccessKeyRotationDue(access_key_id=key,
                                                        at=NOW + timedelta(days=9)), context())
    with pytest.raises(ValidationError):
        decide(state, ExpireAccessKey(access_key_id=key, at=NOW + timedelta(days=9)), context())
    state, [expired] = _then(state, ExpireAccessKey(access_key_id=key,
                                                    at=NOW + timedelta(days=10)))
    assert isinstance(expired, AccessKeyExpired)
    assert "Expired" == state.keys[key].status
    assert [] == decide(state, ExpireAccessKey(access_key_id=key, at=NOW + timedelta(days=11)),
                        context())
    with pytest.raises(ValidationError):
        decide(state, UpdateAccessKey(access_key_id=key, status="Active", user_name="Ann"),
               context())
    # an expired key still counts toward the two-key limit
    decide(state, CreateAccessKey(user_name="Ann"), context())
    full = fold(state, decide(state, CreateAccessKey(user_name="Ann"), context()))
    with pytest.raises(LimitExceeded):
        decide(full, CreateAccessKey(user_name="Ann"), context())


def test_the_user_tag_and_the_account_maximum_set_expiries_the_tag_winning() -> None:
    """Account maximum 90 days: every key (root's too) gets it; the user's tag (30) overrides
    it; a new key is issued with its expiry; a malformed tag is refused."""
    state, key = _given()
    state, events = _then(state, SetAccountKeyMaxAge(max_age_days=90))
    expiry = [e for e in events if isinstance(e, AccessKeyExpirySet)]
    assert {key, *state.root_keys} == {e.access_key_id for e in expiry}
    assert {(NOW + timedelta(days=90), 90)} == {(e.expires_at, e.max_age_days) for e in expiry}
    state, events = _then(state, TagUser(user_name="ann", tags=(
        Tag(key="iamlog:AccessKeyMaxAgeDays", value="30"),)))
    assert [NOW + timedelta(days=30)] == [e.expires_at for e in events
                                          if isinstance(e, AccessKeyExpirySet)]
    _, events = _then(state, CreateAccessKey(user_name="Ann"))
    assert [AccessKeyIssued, AccessKeyExpirySet] == [type(e) for e in events]
    for bad in ("0", "ten", "-1"):
        with pytest.raises(ValidationError):
            decide(state, TagUser(user_name="Ann", tags=(
                Tag(key="iamlog:AccessKeyMaxAgeDays", value=bad),)), context())


def test_rotation_issues_the_second_key_and_schedules_the_old_ones_end() -> None:
    """RotateAccessKey: a new key, then rotation_started naming both and the two instants;
    refused with two keys already."""
    state, key = _given()
    state, events = _then(state, RotateAccessKey(user_name="Ann", disable_after_seconds=3600,
                                                 delete_after_seconds=86_400))
    issued, started = events[0], events[1]
    assert isinstance(issued, AccessKeyIssued)
    assert isinstance(started, AccessKeyRotationStarted)
    assert (key, issued.access_key_id, NOW + timedelta(hours=1), NOW + timedelta(days=1)) == (
        started.access_key_id, started.new_access_key_id, started.disable_at, started.delete_at)
    with pytest.raises(LimitExceeded):
        decide(state, RotateAccessKey(user_name="Ann", disable_after_seconds=0,
                                      delete_after_seconds=0), context())
    with pytest.raises(ValidationError):
        decide(_given()[0], RotateAccessKey(user_name="Ann", disable_after_seconds=10,
                                            delete_after_seconds=5), context())
