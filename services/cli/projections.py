"""`iamlog projections …`: the Postgres read models."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from services.projector.rebuild import PoisonEvent, rebuild
from services.projector.status import projection_status
from services.settings import get_settings

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command("status")
def status() -> None:
    """Stored offset, log end and lag per partition of the event log."""
    rows = asyncio.run(projection_status(get_settings()))
    table = Table("partition", "next offset", "log end", "lag")
    for row in rows:
        table.add_row(str(row.partition), str(row.next_offset), str(row.end_offset), str(row.lag))
    Console().print(table)
    typer.echo(f"total lag: {sum(row.lag for row in rows)}")


@app.command("rebuild")
def rebuild_command() -> None:
    """Replay the whole log into fresh tables and swap them in."""
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("replaying events", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = asyncio.run(rebuild(get_settings(), progress))
        except PoisonEvent as exc:
            typer.echo(f"rebuild stopped on a poison event: {exc}", err=True)
            raise typer.Exit(code=1) from None
    typer.echo(f"rebuilt from {result.events} events in {result.partitions} partitions; swapped in")
