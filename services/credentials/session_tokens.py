"""Self-contained session tokens: AES-256-GCM claims, opened without a database (§5).

Wire format (then base64url without padding)::

    0x01 (format) ‖ master key version (1 byte) ‖ nonce (12 random bytes) ‖ AES-GCM(claims)

The two header bytes are in clear and bound to the ciphertext as associated data, so a token
names the master key version that opens it and keys rotate: every configured version still
opens its tokens. The AES key is HKDF-SHA256(master key, info = a label of its own), never the
master key itself. The claims are compact JSON; they hold the session key id and a per-session
salt, from which the session's secret is derived like a long-term secret (HKDF over key id ‖
salt, under a label distinct from long-term keys). Neither the secret nor any key is in the
token, encrypted or not.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable, Container
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain import ids
from domain.errors import IamlogError
from services.credentials.derived_secrets import DerivedSecrets
from services.credentials.master_keys import MasterKeyError, MasterKeys

FORMAT = 1
_NONCE_BYTES = 12
_HEADER_BYTES = 2
_SALT_BYTES = 16
_SECRET_BYTES = 30  # 40 base64 characters, like an AWS secret access key
# Longer than any token iamlog issues (session policies and tags together stay within the
# 2,048-character packed budget); longer input is refused before any base64 or AES work.
MAX_TOKEN_CHARS = 8192
_TOKEN_KEY_INFO = b"iamlog/session-token-key/v1"
_SECRET_LABEL = b"iamlog/session-secret/v1"

SessionKind = Literal["session_token", "assumed_role", "federated_user"]


class InvalidSessionToken(IamlogError):
    """The token is not one iamlog issued under a configured master key (or was altered)."""


class ExpiredSessionToken(IamlogError):
    """The token's session has passed its expiration."""


class RevokedSession(IamlogError):
    """The token's session was revoked."""


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session token carries: who the session is, its key id, when it ends."""

    session_id: str
    account_id: str
    arn: str  # the principal: the user (or root), assumed-role or federated-user ARN
    kind: SessionKind
    # session_token and federated_user: the name of the user whose credentials asked for the
    # session (None: root); assumed_role: the role's name.
    name: str | None
    principal_id: str  # the user id (root: the account id), or the role id (AROA…)
    session_name: str | None  # assumed_role: the session name; federated_user: the federated name
    access_key_id: str
    salt: str  # hex; with the key id, the input of the session secret's derivation
    issued_at: int  # epoch seconds
    expires_at: int
    policy: str | None = None  # the inline session policy's text (not a secret)
    policy_arns: tuple[str, ...] = ()
    # session tags (key, value), inherited transitive ones included, and the keys that pass on
    # to chained sessions
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()

    def transitive_tags(self) -> tuple[tuple[str, str], ...]:
        """The tags a session chained from this one inherits."""
        keys = {key.lower() for key in self.transitive_tag_keys}
        return tuple((key, value) for key, value in self.tags if key.lower() in keys)

    @property
    def issued(self) -> datetime:
        """The issue time as an aware datetime."""
        return datetime.fromtimestamp(self.issued_at, UTC)

    @property
    def expiration(self) -> datetime:
        """The expiration as an aware datetime."""
        return datetime.fromtimestamp(self.expires_at, UTC)

    def expired(self, now: datetime) -> bool:
        """True from the expiration instant on."""
        return now.timestamp() >= self.expires_at


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: the claims, the opaque token and the secret (shown once)."""

    claims: SessionClaims
    token: str
    secret_access_key: str
    master_key_version: int

    def __repr__(self) -> str:  # never print the token or the secret
        return f"IssuedSession(session_id={self.claims.session_id!r})"


def derive_session_secret(master: bytes, access_key_id: str, salt_hex: str) -> str:
    """The 40-character secret of session key `access_key_id`."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_SECRET_BYTES, salt=_SECRET_LABEL,
                info=access_key_id.encode("ascii") + bytes.fromhex(salt_hex))
    return base64.b64encode(hkdf.derive(master)).decode("ascii")


def _token_key(master: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_TOKEN_KEY_INFO)
    return hkdf.derive(master)


class SessionTokens:
    """Seals and opens session tokens under the configured master keys."""

    def __init__(self, keys: MasterKeys, random_bytes: Callable[[int], bytes] = os.urandom,
                 clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._random = random_bytes
        self._aead: dict[int, AESGCM] = {}
        # A session's secret is worth keeping until the session expires, not longer.
        self.secrets: DerivedSecrets[tuple[int, str, str], int] = DerivedSecrets(
            self._derive, lambda _key, expires_at: expires_at > clock())

    def issue(self, *, account_id: str, arn: str, kind: SessionKind, name: str | None,
              principal_id: str, issued_at: datetime, expires_at: datetime,
              session_name: str | None = None, policy: str | None = None,
              policy_arns: tuple[str, ...] = (), tags: tuple[tuple[str, str], ...] = (),
              transitive_tag_keys: tuple[str, ...] = ()) -> IssuedSession:
        """A new session for the principal, sealed under the current master key."""
        version = self._keys.current_version
        claims = SessionClaims(
            session_id=self._random(16).hex(),
            account_id=account_id, arn=arn, kind=kind, name=name, principal_id=principal_id,
            session_name=session_name,
            access_key_id=ids.session_key_id(self._random(10)),
            salt=self._random(_SALT_BYTES).hex(),
            issued_at=int(issued_at.timestamp()), expires_at=int(expires_at.timestamp()),
            policy=policy, policy_arns=policy_arns, tags=tags,
            transitive_tag_keys=transitive_tag_keys,
        )
        return IssuedSession(claims, self.seal(claims, version), self.secret_of(claims, version),
                             version)

    def seal(self, claims: SessionClaims, version: int) -> str:
        """The token carrying `claims`, under master key `version`."""
        if not 1 <= version <= 255:
            raise MasterKeyError(f"master key version {version} does not fit a token header")
        header = bytes((FORMAT, version))
        nonce = self._random(_NONCE_BYTES)
        body = json.dumps(_encode(claims), separators=(",", ":")).encode()
        sealed = self._aead_of(version).encrypt(nonce, body, header)
        return base64.urlsafe_b64encode(header + nonce + sealed).rstrip(b"=").decode("ascii")

    def open(self, token: str) -> tuple[SessionClaims, int]:
        """The claims of `token` and its master key version; `InvalidSessionToken` if forged,
        altered, malformed or sealed under a master key no longer configured."""
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise InvalidSessionToken("malformed session token")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidSessionToken("malformed session token") from None
        if len(raw) < _HEADER_BYTES + _NONCE_BYTES + 16 or raw[0] != FORMAT:
            raise InvalidSessionToken("malformed session token")
        version = raw[1]
        try:
            aead = self._aead_of(version)
        except MasterKeyError:
            raise InvalidSessionToken("session token of an unknown master key") from None
        nonce = raw[_HEADER_BYTES:_HEADER_BYTES + _NONCE_BYTES]
        try:
            body = aead.decrypt(nonce, raw[_HEADER_BYTES + _NONCE_BYTES:], raw[:_HEADER_BYTES])
            claims = _decode(json.loads(body))
        except (InvalidTag, ValueError, TypeError, KeyError):
            raise InvalidSessionToken("session token failed authentication") from None
        return claims, version

    def verify(self, token: str, access_key_id: str, now: datetime,
               revoked: Container[str] = ()) -> tuple[SessionClaims, str]:
        """The claims and secret of a token presented with `access_key_id` at `now`.

        Raises:
            InvalidSessionToken: forged, altered, or issued with another key id.
            ExpiredSessionToken: at or after its expiration.
            RevokedSession: its session id is in `revoked`.
        """
        claims, version = self.open(token)
        if claims.access_key_id != access_key_id:
            raise InvalidSessionToken("session token of another access key")
        if claims.expired(now):
            raise ExpiredSessionToken("session token expired")
        if claims.session_id in revoked:
            raise RevokedSession("session revoked")
        return claims, self.secret_of(claims, version)

    def secret_of(self, claims: SessionClaims, version: int) -> str:
        """The session's secret access key (derived; cached in memory for the hot path)."""
        return self.secrets.get((version, claims.access_key_id, claims.salt), claims.expires_at)

    def _derive(self, key: tuple[int, str, str]) -> str:
        version, access_key_id, salt = key
        return derive_session_secret(self._keys.get(version), access_key_id, salt)

    def _aead_of(self, version: int) -> AESGCM:
        aead = self._aead.get(version)
        if aead is None:
            aead = self._aead[version] = AESGCM(_token_key(self._keys.get(version)))
        return aead


_FIELDS = ("session_id", "account_id", "arn", "kind", "name", "principal_id", "session_name",
           "access_key_id", "salt", "issued_at", "expires_at", "policy", "policy_arns", "tags",
           "transitive_tag_keys")
_SHORT = ("s", "a", "r", "k", "n", "p", "sn", "i", "sa", "t", "e", "po", "pa", "tg", "tt")
_KINDS: frozenset[str] = frozenset({"session_token", "assumed_role", "federated_user"})


def _encode(claims: SessionClaims) -> dict[str, Any]:
    values = asdict(claims)
    return {short: values[name] for short, name in zip(_SHORT, _FIELDS, strict=True)
            if values[name] not in (None, ())}


def _decode(data: Any) -> SessionClaims:
    if not isinstance(data, dict):
        raise TypeError("claims are not an object")
    values: dict[str, Any] = {name: data.get(short)
                              for short, name in zip(_SHORT, _FIELDS, strict=True)}
    values["policy_arns"] = tuple(values["policy_arns"] or ())
    values["tags"] = tuple((str(key), str(value)) for key, value in values["tags"] or ())
    values["transitive_tag_keys"] = tuple(values["transitive_tag_keys"] or ())
    if values["kind"] not in _KINDS:
        raise ValueError("unknown session kind")
    for name in ("session_id", "account_id", "arn", "principal_id", "access_key_id", "salt"):
        if not isinstance(values[name], str):
            raise TypeError(f"claim {name} is not text")
    for name in ("issued_at", "expires_at"):
        if not isinstance(values[name], int):
            raise TypeError(f"claim {name} is not a number")
    return SessionClaims(**values)


_SHARED: dict[int, tuple[MasterKeys, SessionTokens]] = {}


def tokens_for(keys: MasterKeys) -> SessionTokens:
    """One `SessionTokens` per `MasterKeys` object, so issuers and verifiers share caches."""
    entry = _SHARED.get(id(keys))
    if entry is None or entry[0] is not keys:
        entry = _SHARED[id(keys)] = (keys, SessionTokens(keys))
    return entry[1]
