"""Workload sessions outside the domain: building their commands, and minting the credentials
a session event describes.

`renewal` and `binding` are the one place new session ids, key ids, salts and times are made:
the CLI binds with `binding`, the scheduler renews with `renewal`. A workload token is shown
once; only its SHA-256 digest travels. The credentials endpoint rebuilds a session's secret and
token from the salt and master key version its event carries (`mint`), so nothing secret is
ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import ids
from domain.commands import BindWorkload, RenewWorkloadSession
from events.schemas import SessionRenewed, WorkloadSessionIssued
from services.credentials.session_tokens import SessionClaims, SessionTokens

RandomBytes = Callable[[int], bytes]
_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class NewSession:
    """The ids, salt and lifetime of a session about to be issued (nothing secret)."""

    session_id: str
    session_key_id: str
    salt: str
    master_key_version: int
    issued_at: datetime
    expires_at: datetime


def new_session(now: datetime, seconds: int, master_key_version: int, *,
                random_bytes: RandomBytes = os.urandom) -> NewSession:
    """A fresh session id, ASIA key id and salt, valid `seconds` from `now`."""
    return NewSession(
        session_id=random_bytes(16).hex(),
        session_key_id=ids.session_key_id(random_bytes(10)),
        salt=random_bytes(16).hex(),
        master_key_version=master_key_version,
        issued_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )


def renewal(workload: str, old_session_id: str, now: datetime, seconds: int,
            master_key_version: int, *, random_bytes: RandomBytes = os.urandom
            ) -> RenewWorkloadSession:
    """The command replacing `old_session_id`, the current session of `workload`."""
    session = new_session(now, seconds, master_key_version, random_bytes=random_bytes)
    return RenewWorkloadSession(
        workload=workload, old_session_id=old_session_id, new_session_id=session.session_id,
        session_key_id=session.session_key_id, salt=session.salt,
        master_key_version=session.master_key_version, issued_at=session.issued_at,
        expires_at=session.expires_at)


def new_token() -> str:
    """A workload token: 256 random bits, URL-safe (it travels in an HTTP header)."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 of a workload token, hex: the only form in which it is kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, digest: str) -> bool:
    """Whether `token` is the one whose digest is `digest` (constant-time comparison)."""
    return hmac.compare_digest(token_digest(token), digest)


def binding(workload: str, token: str, now: datetime, seconds: int, master_key_version: int,
            *, profile_name: str, role_name: str | None = None) -> BindWorkload:
    """The command binding `workload` to a profile (or to a new profile around `role_name`)."""
    session = new_session(now, seconds, master_key_version)
    return BindWorkload(
        workload=workload, profile_name=profile_name, role_name=role_name,
        bearer_sha256=token_digest(token), session_id=session.session_id,
        session_key_id=session.session_key_id, salt=session.salt,
        master_key_version=session.master_key_version, issued_at=session.issued_at,
        expires_at=session.expires_at)


def assumed_role_arn(account_id: str, role_name: str, workload: str) -> str:
    """`arn:aws:sts::<account>:assumed-role/<role>/<workload>`: who a workload session is."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{workload}"


def claims_of(event: WorkloadSessionIssued | SessionRenewed) -> SessionClaims:
    """The claims of the session an event describes (an assumed-role session)."""
    return SessionClaims(
        session_id=event.session_id, account_id=event.account_id,
        arn=assumed_role_arn(event.account_id, event.role_name, event.workload),
        kind="assumed_role", name=event.role_name, principal_id=event.role_id,
        session_name=event.workload, access_key_id=event.session_key_id, salt=event.salt,
        issued_at=int(event.issued_at.timestamp()), expires_at=int(event.expires_at.timestamp()))


def mint(tokens: SessionTokens, claims: SessionClaims, master_key_version: int
         ) -> tuple[str, str]:
    """The (secret access key, session token) of a session, derived from its claims."""
    return (tokens.secret_of(claims, master_key_version),
            tokens.seal(claims, master_key_version))
