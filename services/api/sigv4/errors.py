"""SigV4 refusals: AWS's error codes, HTTP statuses and message wording.

Wording follows what AWS services answer (collected from their responses; see the module's
`MESSAGES`), so SDK users meet the texts they would search for. No message ever carries the
signature iamlog computed, a signing key or a secret.
"""

from __future__ import annotations

from typing import Literal

from domain.errors import DomainError

SigV4Code = Literal[
    "MissingAuthenticationToken",
    "IncompleteSignature",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "RequestExpired",
    "ExpiredToken",
]

HTTP_STATUS: dict[SigV4Code, int] = {
    "MissingAuthenticationToken": 403,
    "IncompleteSignature": 400,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "RequestExpired": 400,
    "ExpiredToken": 403,
}

# Messages, not secrets: the S105 hits below are the word "token" in AWS's wording.
MISSING_AUTHENTICATION_TOKEN = "Request is missing Authentication Token"  # noqa: S105
INVALID_CLIENT_TOKEN_ID = "The security token included in the request is invalid."  # noqa: S105
EXPIRED_TOKEN = "The security token included in the request is expired"  # noqa: S105
SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
NOT_CONFORMING = "The request signature does not conform to AWS standards."
REQUEST_HAS_EXPIRED = "Request has expired"


class SigV4Error(DomainError):
    """A request whose SigV4 authentication is refused; `code` says why, as AWS would."""

    def __init__(self, code: SigV4Code, message: str):
        super().__init__(message)
        # DomainError keeps one code per class; SigV4 refusals share one class and carry
        # theirs per instance, so callers read `error.code` / `error.http_status` either way.
        self.code = code  # type: ignore[misc]
        self.http_status = HTTP_STATUS[code]  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"SigV4Error({self.code!r}, {self.message!r})"

    @classmethod
    def invalid_client_token_id(cls) -> SigV4Error:
        """The refusal a resolver raises for an unknown, inactive or deleted key or token."""
        return cls("InvalidClientTokenId", INVALID_CLIENT_TOKEN_ID)

    @classmethod
    def expired_token(cls) -> SigV4Error:
        """The refusal a resolver raises for a session token past its expiration."""
        return cls("ExpiredToken", EXPIRED_TOKEN)


def incomplete(message: str = NOT_CONFORMING) -> SigV4Error:
    """An `IncompleteSignature` refusal."""
    return SigV4Error("IncompleteSignature", message)


def mismatch(message: str = SIGNATURE_DOES_NOT_MATCH) -> SigV4Error:
    """A `SignatureDoesNotMatch` refusal."""
    return SigV4Error("SignatureDoesNotMatch", message)


def expired(message: str) -> SigV4Error:
    """A `RequestExpired` refusal."""
    return SigV4Error("RequestExpired", message)
