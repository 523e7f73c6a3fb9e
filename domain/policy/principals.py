"""Matching a caller against a `Principal` / `NotPrincipal` element.

Principals name whole identities (no partial wildcards). How a caller matched matters to the
evaluator, so a match reports its strength:

* `CALLER`   — the element names the caller itself (user, role session, federated user,
               identity provider, service) or is `*`;
* `ROLE`     — it names the role behind the caller's role session;
* `ACCOUNT`  — it names only the caller's account (`123456789012` or `…:root`): the account
               is trusted and must grant the permission to the caller itself.
"""

from __future__ import annotations

from enum import IntEnum

from domain.policy.context import Principal, PrincipalType
from domain.policy.document import PrincipalElement


class PrincipalMatch(IntEnum):
    """How strongly a principal element names a caller (stronger is larger)."""

    NONE = 0
    ACCOUNT = 1
    ROLE = 2
    CALLER = 3


class PrincipalMatcher:
    """A compiled principal element."""

    __slots__ = ("_accounts", "_arns", "_federated", "_services", "_wildcard")

    def __init__(self, element: PrincipalElement) -> None:
        self._wildcard = element.wildcard
        accounts: set[str] = set()
        arns: set[str] = set()
        for value in element.aws:
            if value.isdigit():
                accounts.add(value)
            elif value.endswith(":root"):
                accounts.add(value.split(":")[4])
            else:
                arns.add(value)
        self._accounts = frozenset(accounts)
        self._arns = frozenset(arns)
        self._federated = frozenset(element.federated)
        self._services = frozenset(element.service)

    def match(self, caller: Principal) -> PrincipalMatch:
        """How this element names `caller`."""
        if self._wildcard or caller.arn in self._arns:
            return PrincipalMatch.CALLER
        if caller.type is PrincipalType.WEB_IDENTITY:
            named = caller.provider in self._federated
        elif caller.type is PrincipalType.SERVICE:
            named = caller.provider in self._services
        elif caller.role_arn is not None and caller.role_arn in self._arns:
            return PrincipalMatch.ROLE
        elif caller.account is not None and caller.account in self._accounts:
            # naming an account names its root user itself, and delegates to everyone else
            is_root = caller.type is PrincipalType.ACCOUNT
            return PrincipalMatch.CALLER if is_root else PrincipalMatch.ACCOUNT
        else:
            named = False
        return PrincipalMatch.CALLER if named else PrincipalMatch.NONE
