"""OpenID Connect provider events. A provider's JWKS holds public keys only: not secrets."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from events.schemas.base import Event
from events.schemas.tags import Tag


class OidcProviderCreated(Event):
    """An OpenID Connect identity provider was registered (CreateOpenIDConnectProvider)."""

    event_type: ClassVar[str] = "iamlog.oidc_provider.created"
    version: ClassVar[int] = 1

    arn: str
    # the issuer URL as registered (`https://host/path`): tokens' `iss` must equal it
    url: str
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    tags: tuple[Tag, ...]
    # the provider's JSON Web Key Set (public keys) as JSON text, when given at registration
    jwks: str | None = None
    created_at: datetime

    def subject(self) -> str:
        """The provider's ARN."""
        return self.arn


class OidcProviderUpdated(Event):
    """A provider's client ids, thumbprints or JWKS changed; the event holds all three as
    they are now."""

    event_type: ClassVar[str] = "iamlog.oidc_provider.updated"
    version: ClassVar[int] = 1

    arn: str
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    jwks: str | None

    def subject(self) -> str:
        """The provider's ARN."""
        return self.arn


class OidcProviderDeleted(Event):
    """A provider was deleted (DeleteOpenIDConnectProvider); its tokens assume nothing more."""

    event_type: ClassVar[str] = "iamlog.oidc_provider.deleted"
    version: ClassVar[int] = 1

    arn: str

    def subject(self) -> str:
        """The provider's ARN."""
        return self.arn
