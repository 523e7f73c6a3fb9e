"""SigV4 verification, written to AWS's specification: pure, no I/O, no clock of its own.

    verify(SignedRequest, Resolver, now) -> Verified      or raises SigV4Error

Both forms are accepted: the `Authorization` header and the presigned query string. The
canonical request is rebuilt from the raw path, query, headers and body as received, the
signing key is derived from the secret the resolver returns (and cached, keyed by a digest of
the secret), and the signature is compared in constant time.
"""

from services.api.sigv4.errors import HTTP_STATUS, SigV4Code, SigV4Error
from services.api.sigv4.request import Credential, Resolver, SignedRequest, Verified
from services.api.sigv4.signing_key import SigningKeyCache, derive_signing_key
from services.api.sigv4.verify import DEFAULT_SCOPES, verify

__all__ = [
    "DEFAULT_SCOPES",
    "HTTP_STATUS",
    "Credential",
    "Resolver",
    "SigV4Code",
    "SigV4Error",
    "SignedRequest",
    "SigningKeyCache",
    "Verified",
    "derive_signing_key",
    "verify",
]
