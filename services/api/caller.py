"""Who is calling: the identity a verified signature resolves to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.ids import root_arn
from services.credentials.session_tokens import SessionClaims

CallerKind = Literal["root", "user", "assumed_role", "federated_user", "anonymous"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal of one account."""

    account_id: str
    arn: str
    user_name: str | None  # None: the account's root user
    user_id: str
    access_key_id: str
    kind: CallerKind = "user"
    session: SessionClaims | None = None  # set when signed with session credentials

    @property
    def is_root(self) -> bool:
        """True for the account's root user."""
        return self.kind == "root"


def root_caller(account_id: str, access_key_id: str) -> Caller:
    """The root user of `account_id`."""
    return Caller(account_id, root_arn(account_id), None, account_id, access_key_id, "root")


def anonymous_caller() -> Caller:
    """The bearer of an unsigned request (AssumeRoleWithWebIdentity): no account, no key."""
    return Caller("", "anonymous", None, "", "", "anonymous")


def session_caller(claims: SessionClaims, user_name: str | None, arn: str,
                   principal_id: str) -> Caller:
    """The principal of a session: for GetSessionToken the user (or root) it was issued to."""
    kind: CallerKind = claims.kind if claims.kind != "session_token" else (
        "root" if user_name is None else "user")
    return Caller(claims.account_id, arn, user_name, principal_id, claims.access_key_id, kind,
                  claims)
