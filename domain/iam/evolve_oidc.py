"""`evolve` for OpenID Connect providers; joined into `domain.iam.evolve`'s dispatch table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain.iam.pmap import updated
from domain.iam.state import AccountState, OidcProvider
from events.schemas import Event, OidcProviderCreated, OidcProviderDeleted, OidcProviderUpdated

Changes = dict[str, Any]


def _key(arn: str) -> str:
    return arn.split(":oidc-provider/", 1)[1]


def _created(state: AccountState, event: OidcProviderCreated) -> Changes:
    provider = OidcProvider(arn=event.arn, url=event.url, client_ids=event.client_ids,
                            thumbprints=event.thumbprints, created_at=event.created_at,
                            tags=tuple((t.key, t.value) for t in event.tags), jwks=event.jwks)
    return {"oidc_providers": updated(state.oidc_providers, provider.key, provider)}


def _updated(state: AccountState, event: OidcProviderUpdated) -> Changes:
    key = _key(event.arn)
    provider = replace(state.oidc_providers[key], client_ids=event.client_ids,
                       thumbprints=event.thumbprints, jwks=event.jwks)
    return {"oidc_providers": updated(state.oidc_providers, key, provider)}


def _deleted(state: AccountState, event: OidcProviderDeleted) -> Changes:
    return {"oidc_providers": updated(state.oidc_providers, _key(event.arn), None)}


HANDLERS: dict[type[Event], Callable[[AccountState, Any], Changes]] = {
    OidcProviderCreated: _created,
    OidcProviderUpdated: _updated,
    OidcProviderDeleted: _deleted,
}
