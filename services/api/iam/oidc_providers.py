"""IAM OpenID Connect providers: Create, Get, List, Delete, Add/RemoveClientID and
UpdateThumbprint, authorized as `iam:<Action>` on the provider's ARN.

Reads answer from the replica's identity index (the account's folded state), which holds every
provider: there is no read-model table for them. A provider registered with a loopback issuer
URL has its JWKS read at registration (discovery); any other gets it from
`iamlog oidc-providers set-jwks` (docs/sts.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from domain import commands as c
from domain.errors import DomainError
from domain.iam import oidc
from domain.iam.state import AccountState, OidcProvider
from events.schemas.tags import Tag
from services.api.iam.registry import Call, Result, action
from services.oidc_discovery import JwksUnavailable, discover_jwks, is_loopback


class OpenIdIdpCommunicationError(DomainError):
    """The loopback identity provider's discovery document or JWKS could not be read."""

    code = "OpenIdIdpCommunicationError"
    http_status = 400


def _state(call: Call) -> AccountState:
    state = call.state
    assert state is not None  # an authenticated caller's account exists
    return state


def _arn(call: Call) -> str:
    return str(call.args.get("OpenIDConnectProviderArn", ""))


@action("iam", "CreateOpenIDConnectProvider")
async def create_provider(call: Call) -> Result:
    """Register a provider (URL, client ids, thumbprints, tags)."""
    url = str(call.args["Url"])
    arn = oidc.provider_arn(call.account_id, oidc.provider_key(url))
    call.authorize("iam:CreateOpenIDConnectProvider", arn)
    tags = tuple(Tag(key=t["Key"], value=t["Value"]) for t in call.args.get("Tags", []))
    if tags:
        call.authorize("iam:TagOpenIDConnectProvider", arn)
    jwks = None
    if is_loopback(url):
        try:
            jwks = await asyncio.to_thread(discover_jwks, url)
        except JwksUnavailable as exc:
            raise OpenIdIdpCommunicationError(
                f"Could not read the identity provider's keys: {exc}") from None
    await call.send(c.CreateOpenIDConnectProvider(
        url=url, client_ids=tuple(call.args.get("ClientIDList", [])),
        thumbprints=tuple(call.args.get("ThumbprintList", [])), tags=tags, jwks=jwks))
    result: Result = {"OpenIDConnectProviderArn": arn}
    if tags:
        result["Tags"] = [{"Key": t.key, "Value": t.value} for t in tags]
    return result


def _described(provider: OidcProvider) -> Result:
    result: Result = {"Url": provider.key, "ClientIDList": list(provider.client_ids),
                      "ThumbprintList": list(provider.thumbprints),
                      "CreateDate": provider.created_at}
    if provider.tags:
        result["Tags"] = [{"Key": k, "Value": v} for k, v in provider.tags]
    return result


@action("iam", "GetOpenIDConnectProvider")
async def get_provider(call: Call) -> Result:
    """A provider's URL (without scheme, as IAM answers it), client ids, thumbprints, tags."""
    call.authorize("iam:GetOpenIDConnectProvider", _arn(call))
    return _described(oidc.find(_state(call), _arn(call)))


@action("iam", "ListOpenIDConnectProviders")
async def list_providers(call: Call) -> Result:
    """The ARNs of the account's providers."""
    call.authorize("iam:ListOpenIDConnectProviders", "*")
    providers = sorted(_state(call).oidc_providers.values(), key=lambda p: p.arn)
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in providers]}


async def _update(call: Call, action_name: str, **change: Any) -> Result:
    arn = _arn(call)
    call.authorize(f"iam:{action_name}", arn)
    oidc.find(_state(call), arn)
    await call.send(c.UpdateOpenIDConnectProvider(arn=arn, **change))
    return {}


@action("iam", "AddClientIDToOpenIDConnectProvider")
async def add_client_id(call: Call) -> Result:
    """Add a client id (an audience tokens may have); present already: nothing changes."""
    return await _update(call, "AddClientIDToOpenIDConnectProvider",
                         add_client_id=str(call.args["ClientID"]))


@action("iam", "RemoveClientIDFromOpenIDConnectProvider")
async def remove_client_id(call: Call) -> Result:
    """Remove a client id; absent: nothing changes (AWS calls this idempotent)."""
    return await _update(call, "RemoveClientIDFromOpenIDConnectProvider",
                         remove_client_id=str(call.args["ClientID"]))


@action("iam", "UpdateOpenIDConnectProviderThumbprint")
async def update_thumbprints(call: Call) -> Result:
    """Replace the thumbprint list."""
    return await _update(call, "UpdateOpenIDConnectProviderThumbprint",
                         thumbprints=tuple(call.args["ThumbprintList"]))


@action("iam", "DeleteOpenIDConnectProvider")
async def delete_provider(call: Call) -> Result:
    """Delete a provider: its tokens assume no role from now on."""
    arn = _arn(call)
    call.authorize("iam:DeleteOpenIDConnectProvider", arn)
    oidc.find(_state(call), arn)
    await call.send(c.DeleteOpenIDConnectProvider(arn=arn))
    return {}
