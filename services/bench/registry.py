"""Every benchmark `iamlog bench all` runs, with its targets and ceilings: one list to join.

A benchmark joins by adding a `Bench` to `BENCHES`: how to run it (`run(quick)`; quick is a
small workload for tests), where it appends its figures (the newest line of that file is this
run's), the targets the issues set, and the ceilings its figures are compared with. Figure
names are the flattened keys of its JSON line (`verify.per_second` for nested values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.bench import API_WORKERS
from services.bench.common import RESULTS_DIR


@dataclass(frozen=True)
class Target:
    """A figure's goal: at least (`≥`) or at most (`≤`) `value`."""

    value: float
    at_least: bool = True

    def met(self, figure: float) -> bool:
        """Whether `figure` reaches the goal."""
        return figure >= self.value if self.at_least else figure <= self.value

    def __str__(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {self.value:,g}"


@dataclass(frozen=True)
class Ceiling:
    """A figure set against what the layer under it manages in the same run."""

    label: str
    figure: str
    ceiling: str

    def ratio(self, figures: dict[str, float]) -> float | None:
        """figure / ceiling, or None when either is missing."""
        top = figures.get(self.ceiling)
        value = figures.get(self.figure)
        return None if not top or value is None else value / top


@dataclass(frozen=True)
class Bench:
    """One benchmark as `bench all` sees it."""

    name: str
    run: Callable[[bool], object]
    results: Callable[[], Path] = field(default=lambda: RESULTS_DIR)
    targets: dict[str, Target] = field(default_factory=dict)
    ceilings: tuple[Ceiling, ...] = ()

    def results_file(self) -> Path:
        """The JSON-lines file this benchmark appends to."""
        found = self.results()
        return found if found.suffix == ".jsonl" else found / f"{self.name}.jsonl"


def _sigv4(quick: bool) -> None:
    from services.bench import sigv4  # noqa: PLC0415 - each bench imports what it needs

    sigv4.main(requests=500 if quick else 20_000)


def _sigv4_results() -> Path:
    from services.bench import sigv4  # noqa: PLC0415

    return sigv4.RESULTS


def _policy(quick: bool) -> None:
    from services.bench import policy  # noqa: PLC0415

    policy.main(decisions=500 if quick else 100_000)


def _policy_results() -> Path:
    from services.bench import policy  # noqa: PLC0415

    return policy.RESULTS


def _pipeline(quick: bool) -> None:
    from services.bench import pipeline  # noqa: PLC0415

    pipeline.main(commands=300 if quick else 20_000,
                  projector_events=2_000 if quick else 200_000)


def _api(quick: bool) -> None:
    from services.bench import api  # noqa: PLC0415

    api.main(requests=256 if quick else 10_000, pairs=32 if quick else 2_000,
             clients=8 if quick else 32, api_workers=0 if quick else API_WORKERS)


def _sts(quick: bool) -> None:
    from services.bench import sts  # noqa: PLC0415

    sts.main(assumes=64 if quick else 5_000, identities=256 if quick else 20_000,
             clients=8 if quick else 32, api_workers=0 if quick else API_WORKERS)


def _footprint(quick: bool) -> None:
    from services.bench import footprint  # noqa: PLC0415

    footprint.main(idle_seconds=1.0 if quick else 10.0)


def _scheduler(quick: bool) -> None:
    from services.bench import scheduler  # noqa: PLC0415 - imported when run

    if quick:
        scheduler.main(workloads=200, seconds=60, hold=30.0, accounts=2)
    else:
        scheduler.main(workloads=100_000, seconds=600, hold=720.0, accounts=100)


BENCHES: list[Bench] = [
    Bench("sigv4", _sigv4, _sigv4_results,
          targets={"ratio": Target(1.0)},
          ceilings=(Ceiling("SigV4 verify / botocore sign", "verify.per_second",
                            "sign.per_second"),)),
    Bench("policy", _policy, _policy_results,
          targets={"p50_us": Target(20.0, at_least=False), "ratio_p50": Target(10.0)},
          ceilings=(Ceiling("policy decisions: moto's p50 / iamlog's p50", "moto_p50_us",
                            "subset_p50_us"),)),
    Bench("pipeline", _pipeline,
          targets={"commands_per_second": Target(1_000.0),
                   "p99_ms_at_100_per_s": Target(50.0, at_least=False),
                   "projector_events_per_second": Target(20_000.0)},
          ceilings=(Ceiling("commands / raw Kafka transactional produce", "commands_per_second",
                            "raw_kafka_tx_produce_per_second"),
                    Ceiling("projector / raw Postgres COPY", "projector_events_per_second",
                            "raw_pg_copy_rows_per_second"))),
    Bench("api", _api,
          targets={"list_per_second": Target(2_000.0), "pairs_per_second": Target(300.0)}),
    Bench("sts", _sts,
          targets={"assume_role_per_second": Target(500.0),
                   "caller_identity_per_second": Target(3_000.0)}),
    Bench("footprint", _footprint),
    Bench("scheduler", _scheduler,
          targets={"lateness_p99_seconds": Target(2.0, at_least=False),
                   "credentials_within_10pct_of_expiry": Target(0.0, at_least=False)}),
]
