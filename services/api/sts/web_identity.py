"""AssumeRoleWithWebIdentity (unsigned): an OpenID Connect token from a provider registered in
the role's account buys credentials of a role whose trust policy names that provider.

The token's signature is checked against the provider's JWKS (RS256/384/512, ES256/384/512)
with PyJWT, `iss` must be the provider's URL and `aud` one of its client ids; `exp` and `nbf`
are compared with the api's clock (so tests inject time). The trust policy sees the caller as
`{"Federated": "<provider ARN>"}` with `<host/path>:sub`, `:aud` and `:amr` condition keys.
Tags in the `https://aws.amazon.com/tags` claim become session tags (they need
`sts:TagSession`). The session is recorded as `iamlog.role.assumed` with the provider as the
caller. The token is a bearer secret: it is never logged, stored or echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jwt

from domain.errors import DomainError, ValidationError
from domain.iam.errors import InvalidInput
from domain.iam.oidc import provider_key
from domain.iam.state import AccountState, OidcProvider
from domain.policy import NO_POLICIES, Principal, web_identity_keys
from domain.policy.context import ContextInput
from services.api.authz import AccessDenied
from services.api.iam.registry import Call, Result, action
from services.api.sts.role_sessions import (
    RoleSessionRequest,
    check_trust,
    issue_role_session,
    role_named,
)
from services.api.sts.session_policies import inline_policy, policy_arns
from services.api.sts.session_tags import SessionTags, session_tags

ACTION = "sts:AssumeRoleWithWebIdentity"
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
DEFAULT_SECONDS = 3_600
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
_NO_KEY = ("Couldn't retrieve verification key from your identity provider, please reference "
           "AssumeRoleWithWebIdentity documentation for requirements")
_NOT_A_JWT = "The ID Token provided is not a valid JWT."


class InvalidIdentityToken(DomainError):
    """The token could not be validated: malformed, badly signed, wrong audience or issuer."""

    code = "InvalidIdentityToken"
    http_status = 400


class ExpiredTokenException(DomainError):
    """The token's `exp` has passed."""

    code = "ExpiredTokenException"
    http_status = 400


class IDPRejectedClaim(DomainError):
    """A claim of an otherwise valid token is refused (not valid yet, unusable tags)."""

    code = "IDPRejectedClaim"
    http_status = 403


@lru_cache(maxsize=256)
def _key_set(jwks: str) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_json(jwks)


def _provider_of(state: AccountState, token: str) -> tuple[OidcProvider, str]:
    """The provider named by the token's (unverified) `iss`, and the `iss`."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidIdentityToken(_NOT_A_JWT) from None
    issuer = unverified.get("iss")
    if not isinstance(issuer, str):
        raise InvalidIdentityToken(_NOT_A_JWT)
    try:
        provider = state.oidc_providers.get(provider_key(issuer))
    except InvalidInput:
        provider = None
    if provider is None:
        raise InvalidIdentityToken(
            f"No OpenIDConnect provider found in your account for {issuer[:255]}")
    return provider, issuer


def _signing_key(provider: OidcProvider, header: Mapping[str, Any]) -> jwt.PyJWK:
    if provider.jwks is None:
        raise InvalidIdentityToken(_NO_KEY)
    try:
        keys = _key_set(provider.jwks).keys
    except jwt.PyJWTError:
        raise InvalidIdentityToken(_NO_KEY) from None
    kid = header.get("kid")
    found = [key for key in keys if key.key_id == kid] if kid is not None else keys
    if len(found) != 1:
        raise InvalidIdentityToken(_NO_KEY)
    return found[0]


def verified_claims(token: str, provider: OidcProvider, issuer: str,
                    now: datetime) -> dict[str, Any]:
    """The claims of `token` once its signature, issuer, audience, `exp` and `nbf` hold."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidIdentityToken(_NOT_A_JWT) from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise InvalidIdentityToken(f"Unsupported token signing algorithm: {str(algorithm)[:20]}")
    key = _signing_key(provider, header)
    if not provider.client_ids:
        raise InvalidIdentityToken("Incorrect token audience")
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=[algorithm], audience=list(provider.client_ids),
            issuer=issuer, options={"verify_exp": False, "verify_nbf": False,
                                    "verify_iat": False,
                                    "require": ["iss", "aud", "sub", "exp"]})
    except jwt.InvalidAudienceError:
        raise InvalidIdentityToken("Incorrect token audience") from None
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidIdentityToken(f"The token has no {exc.claim} claim.") from None
    except jwt.InvalidSignatureError:
        raise InvalidIdentityToken("The token's signature does not verify.") from None
    except jwt.PyJWTError:
        raise InvalidIdentityToken(_NOT_A_JWT) from None
    expires, not_before = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(expires, int | float) or not isinstance(not_before, int | float):
        raise InvalidIdentityToken("Timestamps in the token must be numbers.")
    if now.timestamp() >= expires:
        raise ExpiredTokenException(
            f"Token expired: current date/time {now.timestamp():.0f} must be before the "
            f"expiration date/time {expires:.0f}")
    if now.timestamp() < not_before:
        raise IDPRejectedClaim("The token is not valid yet (nbf).")
    return claims


def _audience(claims: Mapping[str, Any], provider: OidcProvider) -> str:
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    return next(str(aud) for aud in audiences if aud in provider.client_ids)


def _tags(claims: Mapping[str, Any]) -> SessionTags:
    """Session tags from the `https://aws.amazon.com/tags` claim."""
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return session_tags({})
    principal = raw.get("principal_tags", {}) if isinstance(raw, dict) else None
    transitive = raw.get("transitive_tag_keys", []) if isinstance(raw, dict) else None
    if not isinstance(principal, dict) or not isinstance(transitive, list):
        raise IDPRejectedClaim(f"The {TAGS_CLAIM} claim is malformed.")
    tags = [{"Key": str(key), "Value": str(value[0] if isinstance(value, list) and value
                                           else value)}
            for key, value in principal.items()]
    try:
        return session_tags({"Tags": tags, "TransitiveTagKeys": transitive}, check_limits=True)
    except ValidationError as exc:
        raise IDPRejectedClaim(f"Session tags of the token are refused: {exc.message}") from None


@action("sts", "AssumeRoleWithWebIdentity")
async def assume_role_with_web_identity(call: Call) -> Result:
    """Issue credentials of `RoleArn` to the bearer of an OIDC token (no signature needed)."""
    role_arn = str(call.args.get("RoleArn", ""))
    token = str(call.args.get("WebIdentityToken", ""))
    policy = inline_policy(call.args)
    arns = policy_arns(call.args)

    def denied(action_name: str) -> AccessDenied:
        return AccessDenied(f"Not authorized to perform {action_name}")

    state, role = role_named(call, role_arn, denied, ACTION)
    provider, issuer = _provider_of(state, token)
    claims = verified_claims(token, provider, issuer, call.now.astimezone(UTC))
    audience = _audience(claims, provider)
    tags = _tags(claims)
    keys: dict[str, ContextInput] = {"sub": str(claims["sub"]), "aud": audience}
    if isinstance(claims.get("amr"), list | str):
        keys["amr"] = claims["amr"]
    context: dict[str, ContextInput] = {**web_identity_keys(provider.key, keys),
                                        "aws:FederatedProvider": provider.arn}
    source_identity = claims.get(SOURCE_IDENTITY_CLAIM)
    if isinstance(source_identity, str):
        context["sts:SourceIdentity"] = source_identity
    check_trust(call, state, role, principal=Principal.web_identity(provider.arn),
                caller_policies=NO_POLICIES, action=ACTION, context=context, tags=tags,
                denied=denied)
    seconds = int(call.args.get("DurationSeconds", DEFAULT_SECONDS))
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.")
    result = await issue_role_session(call, RoleSessionRequest(
        role=role, role_account=state.account_id,
        session_name=str(call.args.get("RoleSessionName", "")), caller_arn=provider.arn,
        seconds=seconds,
        source_identity=source_identity if isinstance(source_identity, str) else None,
        policy=policy, policy_arns=arns, tags=tags), denied, ACTION)
    return {**result, "SubjectFromWebIdentityToken": str(claims["sub"]),
            "Audience": audience, "Provider": issuer}
