"""Kinds of policy document: where a document is attached decides its size limit and grammar."""

from __future__ import annotations

from enum import StrEnum


class PolicyKind(StrEnum):
    """Where a policy document is used; each kind has its own size limit and Principal rule."""

    USER_INLINE = "user_inline"
    GROUP_INLINE = "group_inline"
    ROLE_INLINE = "role_inline"
    MANAGED = "managed"
    SESSION = "session"
    TRUST = "trust"
    RESOURCE = "resource"

    @property
    def size_limit(self) -> int:
        """Maximum length in characters, whitespace not counted (AWS IAM quotas)."""
        return _SIZE_LIMITS[self]

    @property
    def quota_name(self) -> str:
        """The quota AWS names in its `LimitExceeded` message."""
        return "ACLSizePerRole" if self is PolicyKind.TRUST else "PolicySize"

    @property
    def has_principal(self) -> bool:
        """True where `Principal` is required (trust, resource policies); else it is forbidden."""
        return self in (PolicyKind.TRUST, PolicyKind.RESOURCE)


_SIZE_LIMITS = {
    PolicyKind.USER_INLINE: 2_048,
    PolicyKind.GROUP_INLINE: 5_120,
    PolicyKind.ROLE_INLINE: 10_240,
    PolicyKind.MANAGED: 6_144,
    PolicyKind.SESSION: 2_048,
    PolicyKind.TRUST: 2_048,
    # S3 bucket policies, the largest resource policies AWS has, allow 20 KB.
    PolicyKind.RESOURCE: 20_480,
}
