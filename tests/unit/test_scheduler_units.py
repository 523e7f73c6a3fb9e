"""What each scheduler command carries: renewals and key steps alone, the expiries of one
account together (in the order claimed, up to the command's limit)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.commands import MAX_EXPIRED_PER_COMMAND
from services.scheduler.due import DueItem, Kind
from services.scheduler.scheduler import _units

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def item(kind: Kind, subject: str, account: str) -> DueItem:
    """A due item of `kind` in `account`."""
    return DueItem(kind, subject, account, NOW, None, None, None, None)


def test_expiries_of_an_account_share_a_command_and_renewals_go_alone() -> None:
    """Renewals stay single and first; expiries group per account in claim order."""
    claimed = [item("renew", "r1", "A"), item("renew", "r2", "A"), item("expire", "e1", "A"),
               item("expire", "e2", "B"), item("expire", "e3", "A"),
               item("key-due", "k1", "A")]
    assert [["r1"], ["r2"], ["e1", "e3"], ["e2"], ["k1"]] == [
        [i.subject for i in unit] for unit in _units(claimed)]


def test_a_command_carries_at_most_the_limit() -> None:
    """More expiries of one account than one command may name: the rest go in the next."""
    claimed = [item("expire", f"e{n}", "A") for n in range(MAX_EXPIRED_PER_COMMAND + 1)]
    assert [MAX_EXPIRED_PER_COMMAND, 1] == [len(unit) for unit in _units(claimed)]
