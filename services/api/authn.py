"""Authentication: SigV4 against the identity index (no database round trip)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from domain.errors import IamlogError
from services.api.app import Scope
from services.api.caller import Caller, root_caller, session_caller
from services.api.identity_index import IdentityIndex, KeyRecord
from services.api.runtime import ApiRuntime
from services.api.sigv4 import Credential, SignedRequest, SigV4Error, verify
from services.credentials.derived_secrets import DerivedSecrets
from services.credentials.master_keys import MasterKeys
from services.credentials.secrets import secret_for
from services.credentials.session_tokens import (
    ExpiredSessionToken,
    SessionClaims,
    SessionTokens,
    tokens_for,
)


class KeyResolver:
    """Maps an access key id to its secret for the verifier; unknown or inactive: refused.

    With a session token, the token alone decides (no index lookup of the key): it must open
    under a configured master key, name this key id, be unexpired and not revoked.
    """

    def __init__(self, index: IdentityIndex, keys: MasterKeys,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._index = index
        self._keys = keys
        self._now = now
        self.sessions: SessionTokens = tokens_for(keys)
        # Deriving is an HKDF per call; a key's salt and version never change, so its secret
        # is remembered (in memory only) for the hot path, while the key exists.
        self.secrets: DerivedSecrets[tuple[int, str, str], None] = DerivedSecrets(
            self._derive, self._key_exists)

    def __call__(self, access_key_id: str, session_token: str | None) -> Credential:
        if session_token is not None:
            _, secret = self.session(access_key_id, session_token)
            return Credential(access_key_id=access_key_id, secret_access_key=secret)
        return self.credential(self.record(access_key_id))

    def credential(self, record: KeyRecord) -> Credential:
        """The credential of an active long-term key's record."""
        secret = self.secrets.get(
            (record.master_key_version, record.access_key_id, record.salt), None)
        return Credential(access_key_id=record.access_key_id, secret_access_key=secret)

    def record(self, access_key_id: str) -> KeyRecord:
        """The active key's record, or `InvalidClientTokenId`."""
        record = self._index.keys.get(access_key_id)
        if record is None or record.status != "Active":
            raise SigV4Error.invalid_client_token_id()
        return record

    def session(self, access_key_id: str, token: str) -> tuple[SessionClaims, str]:
        """The claims and secret of a session token; `InvalidClientTokenId`/`ExpiredToken`."""
        try:
            return self.sessions.verify(token, access_key_id, self._now(),
                                        self._index.revoked_sessions)
        except ExpiredSessionToken:
            raise SigV4Error.expired_token() from None
        except IamlogError:
            raise SigV4Error.invalid_client_token_id() from None

    def _derive(self, key: tuple[int, str, str]) -> str:
        version, access_key_id, salt = key
        return secret_for(self._keys, version, access_key_id, salt)

    def _key_exists(self, key: tuple[int, str, str], _: None) -> bool:
        version, access_key_id, salt = key
        record = self._index.keys.get(access_key_id)
        return (record is not None and record.salt == salt
                and record.master_key_version == version)


def caller_of(index: IdentityIndex, record: KeyRecord) -> Caller:
    """The principal that owns `record`."""
    if record.user_name is None:
        return root_caller(record.account_id, record.access_key_id)
    state = index.account(record.account_id)
    user = state.users.get(record.user_name.lower()) if state is not None else None
    if user is None:  # the user is gone: its keys went first, so this is a race at most
        raise SigV4Error.invalid_client_token_id()
    return Caller(record.account_id, user.arn, user.name, user.user_id, record.access_key_id)


def session_caller_of(index: IdentityIndex, claims: SessionClaims) -> Caller:
    """The principal a session acts as (GetSessionToken: its user, or root; AssumeRole: the
    role session, user id `<AROA…>:<session name>`; GetFederationToken: the federated user,
    user id `<account>:<name>`, while the user that federated still exists)."""
    if claims.kind == "assumed_role":
        return session_caller(claims, None, claims.arn,
                              f"{claims.principal_id}:{claims.session_name}")
    if claims.name is not None:  # a user's session: the user must still be the same one
        state = index.account(claims.account_id)
        user = state.users.get(claims.name.lower()) if state is not None else None
        if user is None or user.user_id != claims.principal_id:  # deleted (or re-created)
            raise SigV4Error.invalid_client_token_id()
        if claims.kind == "session_token":
            return session_caller(claims, user.name, user.arn, user.user_id)
    if claims.kind == "federated_user":
        return session_caller(claims, None, claims.arn,
                              f"{claims.account_id}:{claims.session_name}")
    return session_caller(claims, None, claims.arn, claims.principal_id)


def signed_request(scope: Scope, body: bytes) -> SignedRequest:
    """The parts of an HTTP request (its ASGI scope) that SigV4 covers, exactly as received."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return SignedRequest(
        method=scope["method"],
        path=raw_path.decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(name.decode("latin-1"), value.decode("latin-1"))
                 for name, value in scope["headers"]],
        body=body,
    )


def authenticate(runtime: ApiRuntime, resolver: KeyResolver, scope: Scope,
                 body: bytes) -> tuple[Caller, str]:
    """Verify the signature; return the caller and the service named by the scope."""
    # What the resolver found for the verifier is kept for the caller: a session token is
    # opened (AES-GCM, JSON) once per request, not twice.
    found: list[SessionClaims | KeyRecord] = []

    def resolve(access_key_id: str, session_token: str | None) -> Credential:
        if session_token is not None:
            claims, secret = resolver.session(access_key_id, session_token)
            found.append(claims)
            return Credential(access_key_id=access_key_id, secret_access_key=secret)
        record = resolver.record(access_key_id)
        found.append(record)
        return resolver.credential(record)

    verified = verify(signed_request(scope, body), resolve, runtime.clock.now())
    (identity,) = found
    if isinstance(identity, SessionClaims):
        return session_caller_of(runtime.index, identity), verified.service
    return caller_of(runtime.index, identity), verified.service
