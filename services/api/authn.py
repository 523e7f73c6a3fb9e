"""Authentication: SigV4 against the identity index (no database round trip)."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request

from services.api.caller import Caller, root_caller
from services.api.identity_index import IdentityIndex, KeyRecord
from services.api.runtime import ApiRuntime
from services.api.sigv4 import Credential, SignedRequest, SigV4Error, verify
from services.credentials.master_keys import MasterKeys
from services.credentials.secrets import secret_for


class KeyResolver:
    """Maps an access key id to its secret for the verifier; unknown or inactive: refused."""

    def __init__(self, index: IdentityIndex, keys: MasterKeys) -> None:
        self._index = index
        self._keys = keys
        # Deriving is an HKDF per call; a key's salt and version never change, so its secret
        # is remembered (in memory only) for the hot path.
        self._derive = lru_cache(maxsize=65_536)(self._derive_uncached)

    def __call__(self, access_key_id: str, session_token: str | None) -> Credential:
        record = self.record(access_key_id)
        if session_token is not None:
            raise SigV4Error.invalid_client_token_id()
        secret = self._derive(record.master_key_version, record.access_key_id, record.salt)
        return Credential(access_key_id=access_key_id, secret_access_key=secret)

    def record(self, access_key_id: str) -> KeyRecord:
        """The active key's record, or `InvalidClientTokenId`."""
        record = self._index.keys.get(access_key_id)
        if record is None or record.status != "Active":
            raise SigV4Error.invalid_client_token_id()
        return record

    def _derive_uncached(self, version: int, access_key_id: str, salt: str) -> str:
        return secret_for(self._keys, version, access_key_id, salt)


def caller_of(index: IdentityIndex, record: KeyRecord) -> Caller:
    """The principal that owns `record`."""
    if record.user_name is None:
        return root_caller(record.account_id, record.access_key_id)
    state = index.account(record.account_id)
    user = state.users.get(record.user_name.lower()) if state is not None else None
    if user is None:  # the user is gone: its keys went first, so this is a race at most
        raise SigV4Error.invalid_client_token_id()
    return Caller(record.account_id, user.arn, user.name, user.user_id, record.access_key_id)


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """The parts of an HTTP request that SigV4 covers, exactly as received."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return SignedRequest(
        method=request.method,
        path=raw_path.decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(name.decode("latin-1"), value.decode("latin-1"))
                 for name, value in scope["headers"]],
        body=body,
    )


def authenticate(runtime: ApiRuntime, resolver: KeyResolver, request: Request,
                 body: bytes) -> tuple[Caller, str]:
    """Verify the signature; return the caller and the service named by the scope."""
    verified = verify(signed_request(request, body), resolver, runtime.clock.now())
    return caller_of(runtime.index, resolver.record(verified.access_key_id)), verified.service
