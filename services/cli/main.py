"""The `iamlog` command: one entry point whose sub-commands live in small modules."""

from __future__ import annotations

import logging
import sys

import typer

from services.cli import (
    accounts,
    arguments,
    bench,
    db,
    dev,
    events,
    keys,
    oidc_providers,
    projections,
    serve,
    sessions,
    workloads,
)
from services.cli.errors import cli_errors

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(dev.app, name="dev")
app.add_typer(db.app, name="db")
app.add_typer(accounts.app, name="accounts")
app.add_typer(events.app, name="events")
app.add_typer(projections.app, name="projections")
app.add_typer(sessions.app, name="sessions")
app.add_typer(keys.app, name="keys")
app.add_typer(bench.app, name="bench")
app.add_typer(workloads.app, name="workloads")
app.add_typer(oidc_providers.app, name="oidc-providers")
app.command("serve")(serve.serve)


def main() -> None:
    """The `iamlog` entry point: bad input, refusals and an unreachable stack end as one
    `Code: message` line on stderr and exit code 1 (`services.cli.errors`)."""
    if sys.argv[1:2] != ["serve"]:
        # The CLI reports an unreachable broker itself, in one line; the client's own
        # connection errors (logged, then raised) would only repeat it (`serve` keeps them).
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with cli_errors():
        arguments.utf8(sys.argv[1:])
        app()


if __name__ == "__main__":
    main()
