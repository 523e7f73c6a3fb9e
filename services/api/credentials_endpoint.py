"""`GET /v1/credentials/<profile>`: session credentials for a bound workload, in the JSON
that botocore's container credential provider reads (AWS_CONTAINER_CREDENTIALS_FULL_URI with
AWS_CONTAINER_AUTHORIZATION_TOKEN).

The token goes in `Authorization`, raw (as the SDKs send it) or as `Bearer <token>`. It is
looked up by its SHA-256 in this replica's identity index; the answer is the binding's newest
session that is unexpired and unrevoked, its secret and session token derived on the spot from
the salt its event carries. No database is touched and nothing secret is stored or logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.api.runtime import ApiRuntime
from services.credentials.session_tokens import tokens_for
from services.credentials.workload_sessions import mint

_MAX_TOKEN = 512  # tokens iamlog issues are 43 characters
# Credentials must not be kept by any cache between the workload and iamlog.
_NO_STORE = {"Cache-Control": "no-store"}


class ContainerCredentials(BaseModel):
    """The AWS container-credentials document, with the fields IMDS writes."""

    Code: str = Field(description="`Success`")
    Type: str = Field(description="`AWS-HMAC`")
    AccessKeyId: str
    SecretAccessKey: str
    Token: str
    Expiration: str = Field(description="ISO 8601, UTC")
    LastUpdated: str = Field(description="when the session was issued, ISO 8601, UTC")


class CredentialsError(BaseModel):
    """A refusal; a wrong token is never told why."""

    code: str
    message: str


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status,
                        headers=_NO_STORE)


def _token(authorization: str | None) -> str | None:
    if not authorization or len(authorization) > _MAX_TOKEN:
        return None
    scheme, _, rest = authorization.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else authorization.strip()


def credentials_router(runtime: ApiRuntime) -> APIRouter:
    """The credentials endpoint, bound to this replica's runtime."""
    router = APIRouter()
    refusals: dict[int | str, dict[str, Any]] = {
        401: {"model": CredentialsError}, 404: {"model": CredentialsError},
        503: {"model": CredentialsError}}

    @router.get("/credentials/{profile}", response_model=ContainerCredentials,
                responses=refusals)
    async def credentials(profile: str, response: Response,
                          authorization: str | None = Header(default=None)) -> Any:
        token = _token(authorization)
        binding = runtime.index.workloads.binding(token) if token else None
        if binding is None:
            return _refusal(401, "Unauthorized", "Unauthorized.")
        if binding.profile_key != profile.lower():
            return _refusal(404, "NoSuchEntity",
                            f"Instance Profile {profile[:128]} cannot be found.")
        newest = binding.newest_valid(runtime.clock.now(), runtime.index.revoked_sessions)
        if newest is None:
            return _refusal(503, "ServiceUnavailable",
                            "The workload has no valid session yet; retry shortly.")
        claims, version = newest
        response.headers.update(_NO_STORE)
        secret, session_token = mint(tokens_for(runtime.master_keys), claims, version)
        return ContainerCredentials(
            Code="Success", Type="AWS-HMAC", AccessKeyId=claims.access_key_id,
            SecretAccessKey=secret, Token=session_token, Expiration=_iso(claims.expires_at),
            LastUpdated=_iso(claims.issued_at))

    return router
