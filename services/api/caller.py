"""Who is calling: the identity a verified signature resolves to."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ids import root_arn


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal of one account."""

    account_id: str
    arn: str
    user_name: str | None  # None: the account's root user
    user_id: str
    access_key_id: str

    @property
    def is_root(self) -> bool:
        """True for the account's root user."""
        return self.user_name is None


def root_caller(account_id: str, access_key_id: str) -> Caller:
    """The root user of `account_id`."""
    return Caller(account_id, root_arn(account_id), None, account_id, access_key_id)
