"""OpenID Connect provider rules: CreateOpenIDConnectProvider, the updates (client ids,
thumbprints, JWKS) and DeleteOpenIDConnectProvider.

The issuer URL must be `https://…` (as in AWS) or, an iamlog extension for local identity
providers, `http://` on a loopback host; no query or fragment. The provider is named by the URL
without its scheme (`host/path`), which is unique in an account. Up to 100 client ids, 5
thumbprints, 100 providers per account. A JWKS must be a JSON object with a `keys` list.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from domain.commands import (
    CreateOpenIDConnectProvider,
    DeleteOpenIDConnectProvider,
    UpdateOpenIDConnectProvider,
)
from domain.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity
from domain.iam.errors import InvalidInput
from domain.iam.state import AccountState, Context, OidcProvider
from domain.iam.tags import check_tags
from events.schemas import Event
from events.schemas.oidc_provider import (
    OidcProviderCreated,
    OidcProviderDeleted,
    OidcProviderUpdated,
)

MAX_PROVIDERS = 100
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
MAX_URL = 255
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def provider_key(url: str) -> str:
    """`host/path` of an issuer URL (`InvalidInput` unless it is one iamlog accepts)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise InvalidInput("Invalid Url: " + url[:MAX_URL]) from None
    loopback = parts.scheme == "http" and host in LOOPBACK_HOSTS
    if (len(url) > MAX_URL or not host or (parts.scheme != "https" and not loopback)
            or parts.query or parts.fragment or "@" in parts.netloc):
        raise InvalidInput("Invalid Url: " + url[:MAX_URL])
    return (parts.netloc + parts.path).rstrip("/")


def provider_arn(account_id: str, key: str) -> str:
    """`arn:aws:iam::<account>:oidc-provider/<host/path>`."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{key}"


def find(state: AccountState, arn: str) -> OidcProvider:
    """The provider named by `arn` in this account, or `NoSuchEntity`."""
    marker = f"arn:aws:iam::{state.account_id}:oidc-provider/"
    found = state.oidc_providers.get(arn[len(marker):]) if arn.startswith(marker) else None
    if found is None:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}",
                           account_id=state.account_id, entity=arn)
    return found


def check_jwks(jwks: str) -> str:
    """A JWKS's text if it is a JSON object with a `keys` list (`InvalidInput` otherwise)."""
    try:
        parsed = json.loads(jwks)
    except ValueError:
        raise InvalidInput("The JWKS is not valid JSON.") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("keys"), list):
        raise InvalidInput("A JWKS is a JSON object with a \"keys\" list.")
    return jwks


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def create_provider(state: AccountState, command: CreateOpenIDConnectProvider,
                    ctx: Context) -> list[Event]:
    """Register a provider; its URL must be new to the account."""
    key = provider_key(command.url)
    if key in state.oidc_providers:
        raise EntityAlreadyExists(f"Provider with url {command.url} already exists.",
                                  account_id=state.account_id, entity=key)
    if len(state.oidc_providers) >= MAX_PROVIDERS:
        raise LimitExceeded(f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: "
                            f"{MAX_PROVIDERS}", account_id=state.account_id)
    client_ids = _unique(command.client_ids)
    if len(client_ids) > MAX_CLIENT_IDS:
        raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: "
                            f"{MAX_CLIENT_IDS}", account_id=state.account_id)
    if len(command.thumbprints) > MAX_THUMBPRINTS:
        raise InvalidInput(f"Thumbprint list must contain at most {MAX_THUMBPRINTS} entries.")
    tags = tuple(check_tags(command.tags)) if command.tags else ()
    return [OidcProviderCreated(
        account_id=state.account_id, arn=provider_arn(state.account_id, key), url=command.url,
        client_ids=client_ids, thumbprints=_unique(command.thumbprints), tags=tags,
        jwks=check_jwks(command.jwks) if command.jwks is not None else None,
        created_at=ctx.now)]


def update_provider(state: AccountState, command: UpdateOpenIDConnectProvider) -> list[Event]:
    """Add or remove a client id, replace the thumbprints, or set the JWKS; a change to what
    is already there succeeds and appends nothing."""
    provider = find(state, command.arn)
    client_ids = provider.client_ids
    if command.add_client_id is not None and command.add_client_id not in client_ids:
        if len(client_ids) >= MAX_CLIENT_IDS:
            raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: "
                                f"{MAX_CLIENT_IDS}", account_id=state.account_id)
        client_ids = (*client_ids, command.add_client_id)
    if command.remove_client_id is not None:
        client_ids = tuple(c for c in client_ids if c != command.remove_client_id)
    thumbprints = provider.thumbprints
    if command.thumbprints is not None:
        if len(command.thumbprints) > MAX_THUMBPRINTS:
            raise InvalidInput(f"Thumbprint list must contain at most {MAX_THUMBPRINTS} "
                               "entries.")
        thumbprints = _unique(command.thumbprints)
    jwks = check_jwks(command.jwks) if command.jwks is not None else provider.jwks
    if (client_ids, thumbprints, jwks) == (provider.client_ids, provider.thumbprints,
                                            provider.jwks):
        return []
    return [OidcProviderUpdated(account_id=state.account_id, arn=provider.arn,
                                client_ids=client_ids, thumbprints=thumbprints, jwks=jwks)]


def delete_provider(state: AccountState, command: DeleteOpenIDConnectProvider) -> list[Event]:
    """Delete a provider."""
    provider = find(state, command.arn)
    return [OidcProviderDeleted(account_id=state.account_id, arn=provider.arn)]
