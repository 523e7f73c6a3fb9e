"""Encoded authorization failure messages: sealed per account, opened only intact and under a
configured master key."""

from __future__ import annotations

import pytest

from services.credentials.authorization_messages import (
    AuthorizationMessages,
    InvalidAuthorizationMessage,
)
from services.credentials.master_keys import MasterKeys

MESSAGE = {"allowed": False, "context": {"action": "iam:ListUsers"}}


def test_round_trip_for_the_same_account_only() -> None:
    """The account it was sealed for reads it back; another account cannot."""
    messages = AuthorizationMessages(MasterKeys({1: bytes(32)}))
    encoded = messages.encode("111122223333", MESSAGE)
    assert MESSAGE == messages.decode("111122223333", encoded)
    with pytest.raises(InvalidAuthorizationMessage):
        messages.decode("444455556666", encoded)
    assert "iam:ListUsers" not in encoded


def test_altered_truncated_or_foreign_key_messages_are_invalid() -> None:
    """Any changed byte, a cut, garbage or another master key: InvalidAuthorizationMessage."""
    messages = AuthorizationMessages(MasterKeys({1: bytes(32)}))
    encoded = messages.encode("111122223333", MESSAGE)
    other_key = AuthorizationMessages(MasterKeys({1: bytes(range(32))}))
    flipped = encoded[:20] + ("A" if encoded[20] != "A" else "B") + encoded[21:]
    for bad in (flipped, encoded[:-3], "", "%%%", "A" * 70_000):
        with pytest.raises(InvalidAuthorizationMessage):
            messages.decode("111122223333", bad)
    with pytest.raises(InvalidAuthorizationMessage):
        other_key.decode("111122223333", encoded)


def test_rotation_keeps_reading_older_messages() -> None:
    """A message sealed under key 1 still opens once key 2 is current."""
    old = AuthorizationMessages(MasterKeys({1: bytes(32)})).encode("111122223333", MESSAGE)
    rotated = AuthorizationMessages(MasterKeys({1: bytes(32), 2: bytes(range(32))}))
    assert MESSAGE == rotated.decode("111122223333", old)
