"""`iamlog bench …`: benchmarks run as commands, printing their figures."""

from __future__ import annotations

from typing import Annotated

import typer

from services.bench import API_WORKERS

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command("policy")
def policy(decisions: int = typer.Option(100_000, help="decisions to time")) -> None:
    """Per-decision latency of domain/policy, and the ratio to moto's evaluator."""
    from services.bench.policy import main  # noqa: PLC0415 - keeps CLI start-up light

    main(decisions=decisions)


@app.command("pipeline")
def pipeline(
    commands: int = typer.Option(20_000, help="commands for the throughput phase"),
    projector_events: int = typer.Option(200_000, help="events in the prepared projector log"),
) -> None:
    """Commands/s through producer → processor → events + reply; latency; projector rate."""
    from services.bench.pipeline import main  # noqa: PLC0415 - keeps CLI start-up light

    main(commands=commands, projector_events=projector_events)


@app.command("sigv4")
def sigv4(requests: int = typer.Option(20_000, help="requests to sign and verify")) -> None:
    """SigV4 verifications per second in process vs botocore signing the same requests."""
    from services.bench.sigv4 import main  # noqa: PLC0415 - keeps CLI start-up light

    main(requests=requests)


@app.command("api")
def api(
    requests: int = typer.Option(10_000, help="timed ListAccessKeys requests"),
    pairs: int = typer.Option(2_000, help="timed CreateAccessKey/DeleteAccessKey pairs"),
    clients: int = typer.Option(32, help="requests in flight in the reads phase"),
    api_workers: int = typer.Option(
        API_WORKERS, help="0: one `iamlog serve` with every role; N: processor+projector in "
                          "one process and N api processes sharing the port (default: one "
                          "per core)"),
) -> None:
    """ListAccessKeys/s and Create+DeleteAccessKey pairs/s through a server of its own."""
    from services.bench.api import main  # noqa: PLC0415 - keeps CLI start-up light

    main(requests=requests, pairs=pairs, clients=clients, api_workers=api_workers)


@app.command("sts")
def sts(
    assumes: int = typer.Option(5_000, help="timed AssumeRole calls"),
    identities: int = typer.Option(20_000, help="timed GetCallerIdentity calls"),
    clients: int = typer.Option(32, help="requests in flight"),
    api_workers: int = typer.Option(
        API_WORKERS, help="0: one `iamlog serve` with every role; N: processor+projector in "
                          "one process and N api processes sharing the port (default: one "
                          "per core)"),
) -> None:
    """AssumeRole/s end to end and GetCallerIdentity/s with session credentials."""
    from services.bench.sts import main  # noqa: PLC0415 - keeps CLI start-up light

    main(assumes=assumes, identities=identities, clients=clients, api_workers=api_workers)


@app.command("footprint")
def footprint(idle: float = typer.Option(10.0, help="seconds to watch each role idle")) -> None:
    """Start-up time to ready, resident memory and idle CPU of each role."""
    from services.bench.footprint import main  # noqa: PLC0415 - keeps CLI start-up light

    main(idle_seconds=idle)


@app.command("all")
def all_benches(
    quick: bool = typer.Option(False, help="small workloads (a smoke test, not figures)"),
    only: Annotated[list[str] | None, typer.Option(
        help="run only these benchmarks (repeatable)")] = None,
) -> None:
    """Every benchmark in one go; bench/results/<date>.json and .png, BENCHMARKS.md."""
    from services.bench.all import main  # noqa: PLC0415 - keeps CLI start-up light

    main(quick=quick, only=only or None)


@app.command("scheduler")
def scheduler(
    workloads: int = typer.Option(100_000, help="workloads bound, each with its own session"),
    session_seconds: int = typer.Option(600, min=60, help="lifetime of a workload session"),
    hold: float = typer.Option(720.0, help="seconds the scheduler is watched working"),
    accounts: int = typer.Option(100, help="accounts the workloads are spread over"),
) -> None:
    """Renewals/s, renewal lateness and stale credentials of a scheduler keeping workloads'
    sessions fresh; its CPU and peak memory."""
    from services.bench.scheduler import main  # noqa: PLC0415 - keeps CLI start-up light

    main(workloads=workloads, seconds=session_seconds, hold=hold, accounts=accounts)


@app.command("soak")
def soak(
    minutes: float = typer.Option(
        30.0, help="minutes of load at half the measured capacity after the warm-up"),
    warm_up_minutes: float = typer.Option(
        16.0, min=1.0, help="least warm-up, judged for latency but not for memory growth"),
    workers: int = typer.Option(16, help="operations in flight"),
    window: int | None = typer.Option(
        None, min=1, help="processor idempotency window (default: IAMLOG_IDEMPOTENCY_WINDOW)"),
) -> None:
    """Mixed load at half capacity: RSS growth per role after warm-up, p99 per minute."""
    from services.bench.soak import main  # noqa: PLC0415 - keeps CLI start-up light

    if not main(minutes=minutes, workers=workers, window=window,
                warm_up_minutes=warm_up_minutes):
        raise typer.Exit(code=1)


@app.command("plot")
def plot() -> None:
    """Draw each bench-results/*.jsonl as figures over time (bench-results/*.png)."""
    from services.bench.plot import main  # noqa: PLC0415 - matplotlib is a bench extra

    main()
