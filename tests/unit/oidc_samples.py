"""OpenID Connect provider commands shared by the event-schema and rebuild scenarios."""

from __future__ import annotations

from domain.commands import (
    Command,
    CreateOpenIDConnectProvider,
    DeleteOpenIDConnectProvider,
    UpdateOpenIDConnectProvider,
)


def oidc_commands(account: str) -> list[Command]:
    """Commands touching every OpenID Connect provider event."""
    gone = f"arn:aws:iam::{account}:oidc-provider/idp.example.test/gone"
    return [
        CreateOpenIDConnectProvider(url="https://idp.example.test/kept", client_ids=("app",),
                                    jwks='{"keys": []}'),
        CreateOpenIDConnectProvider(url="https://idp.example.test/gone"),
        UpdateOpenIDConnectProvider(arn=gone, add_client_id="other"),
        DeleteOpenIDConnectProvider(arn=gone),
    ]
