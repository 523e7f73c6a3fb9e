"""`iamlog dev …`: the local Kafka broker and Postgres cluster for development and tests."""

from __future__ import annotations

import time

import typer

from services.devstack import DevStackError, stack
from services.devstack.stack import StackStatus
from services.devstack.status import ComponentStatus, State
from services.settings import get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command("up")
def up() -> None:
    """Start Kafka and Postgres unless they run; create the topics and the dev master key."""
    started = time.monotonic()
    try:
        current = stack.up(get_settings(), say=_say, warn=_warn)
    except DevStackError as exc:
        _fail(exc)
    _print(current)
    typer.echo(f"dev stack up in {time.monotonic() - started:.1f} s")


@app.command("down")
def down() -> None:
    """Stop Kafka and Postgres (their data stays)."""
    try:
        stack.down(get_settings(), say=_say)
    except DevStackError as exc:
        _fail(exc)
    _print(stack.status(get_settings()))


@app.command("status")
def status(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="only set the exit code"),
) -> None:
    """Say what runs where; exit 3 unless Kafka and Postgres both accept clients."""
    current = stack.status(get_settings())
    if not quiet:
        _print(current)
    if not current.available:
        raise typer.Exit(code=3)


def _print(current: StackStatus) -> None:
    for component in (current.kafka, current.postgres):
        _print_component(component)
    typer.echo(f"{'state':<9} {current.state_dir}")
    if current.master_key_file is not None:
        typer.echo(f"{'key':<9} {current.master_key_file} (development only)")


def _print_component(component: ComponentStatus) -> None:
    pid = f"pid {component.pid}" if component.pid is not None else "-"
    typer.echo(f"{component.name:<9} {component.state:<8} {pid:<11} {component.address}")
    if component.state is State.EXTERNAL:
        typer.echo(f"{'':<9} not started by `iamlog dev`: its data and log are its own")
        return
    typer.echo(f"{'':<9} data {component.data_dir}")
    typer.echo(f"{'':<9} log  {component.log_file}")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _warn(message: str) -> None:
    typer.secho(f"WARNING: {message}", err=True, fg=typer.colors.YELLOW)


def _fail(exc: DevStackError) -> None:
    typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=1) from exc
