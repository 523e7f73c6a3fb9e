"""`iamlog oidc-providers …`: give an OpenID Connect provider the keys its tokens are signed
with (its JWKS: public keys, recorded in `iamlog.oidc_provider.updated`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from domain.commands import UpdateOpenIDConnectProvider
from services.cli import arguments
from services.cli.errors import refuse
from services.command_client import send_once
from services.oidc_discovery import JwksUnavailable, discover_jwks, fetch_jwks, read_file
from services.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


async def set_jwks(settings: Settings, arn: str, jwks: str) -> bool:
    """Record `jwks` for the provider `arn`; False when it already had exactly these keys."""
    account = arguments.oidc_provider_arn(arn)
    reply = await send_once(settings, account, UpdateOpenIDConnectProvider(arn=arn, jwks=jwks))
    return bool(reply.events)


@app.command("set-jwks")
def set_jwks_command(
    arn: str = typer.Option(..., "--arn", help="arn:aws:iam::<account>:oidc-provider/<host/path>"),
    jwks_file: Annotated[Path | None, typer.Option("--jwks-file",
                                                   help="a JWKS (JSON) file")] = None,
    jwks_url: str | None = typer.Option(None, "--jwks-url", help="a JWKS URL on a loopback host"),
    discover: str | None = typer.Option(
        None, "--discover", help="a loopback issuer: read <issuer>/.well-known/"
                                 "openid-configuration, then its jwks_uri"),
) -> None:
    """Set the provider's JWKS from exactly one source (needs `iamlog serve`'s processor)."""
    arguments.oidc_provider_arn(arn)
    sources = [s for s in (jwks_file, jwks_url, discover) if s is not None]
    if len(sources) != 1:
        typer.echo("give exactly one of --jwks-file, --jwks-url, --discover", err=True)
        raise typer.Exit(code=2)
    try:
        jwks = (read_file(jwks_file) if jwks_file is not None
                else fetch_jwks(jwks_url) if jwks_url is not None
                else discover_jwks(str(discover)))
        changed = asyncio.run(set_jwks(get_settings(), arn, jwks))
    except JwksUnavailable as exc:
        raise refuse("InvalidInput", str(exc)) from None
    typer.echo("updated" if changed else "unchanged")
