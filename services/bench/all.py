"""`iamlog bench all`: every registered benchmark in one go, and the standing report.

Runs each `Bench` of `services.bench.registry.BENCHES` in turn (each appends its own line to
its results file, as when run alone), then writes:

* `bench/results/<date>.json`: the machine, the load, every figure of this run per benchmark,
  each target with whether it is met, and each ceiling ratio computed from this same run;
* `bench/results/<date>.png`: each targeted figure and ceiling ratio as a share of its target,
  beside the previous result;
* `BENCHMARKS.md`: the latest table, the chart and the machine it ran on.

Each benchmark runs in a fresh process of its own (`isolate`), as it does when run alone, so
that its figures do not depend on which benchmarks ran before it: in one process it would
inherit their heap (moto's evaluator and its policy objects), the event loop policy one of them
installed (uvloop) and the collector thresholds another set. (Whether that moved any figure is
not measured: the pipeline's commands/s, the one figure that differed, swung as much between
standalone runs of one hour, 765–1,442/s.)

A benchmark that fails is reported as failed (its error in the JSON) and the others still run.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from services.bench.plot import flatten
from services.bench.registry import BENCHES, Bench

ROOT = Path(__file__).resolve().parents[2]
console = Console()


@dataclass(frozen=True)
class Outcome:
    """One benchmark's part of a run."""

    name: str
    figures: dict[str, float]
    seconds: float
    error: str | None = None


def machine() -> dict[str, Any]:
    """What the figures ran on."""
    model = ""
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // 1024
    return {"cpu": model, "cores": os.cpu_count(), "memory_mib": memory,
            "kernel": platform.release(), "python": platform.python_version(),
            "load_before": round(os.getloadavg()[0], 2)}


def _newest_line(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    return json.loads(lines[-1]) if lines else None


def run_one(bench: Bench, quick: bool, *, isolate: bool = True) -> Outcome:
    """Run one benchmark (in a fresh process with `isolate`); its figures are the line it
    appended."""
    path = bench.results_file()
    before = path.stat().st_size if path.exists() else 0
    started = time.perf_counter()
    try:
        if isolate:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                pool.submit(bench.run, quick).result()
        else:
            bench.run(quick)
    except Exception as exc:  # one failed bench must not lose the others' figures
        console.print(f"[red]{bench.name} failed: {exc!r}[/red]")
        return Outcome(bench.name, {}, time.perf_counter() - started,
                       "".join(traceback.format_exception_only(exc)).strip())
    seconds = time.perf_counter() - started
    if not path.exists() or path.stat().st_size == before:
        return Outcome(bench.name, {}, seconds, f"no new line in {path}")
    line = _newest_line(path) or {}
    return Outcome(bench.name, flatten(line), seconds)


def summarize(outcomes: list[Outcome], benches: list[Bench]) -> dict[str, Any]:
    """The run as it is stored: figures, targets met or not, ceiling ratios."""
    by_name = {bench.name: bench for bench in benches}
    summary: dict[str, Any] = {}
    for outcome in outcomes:
        bench = by_name[outcome.name]
        summary[outcome.name] = {
            "seconds": round(outcome.seconds, 1),
            "error": outcome.error,
            "figures": outcome.figures,
            "targets": {name: {"target": str(target), "value": outcome.figures.get(name),
                               "met": (name in outcome.figures
                                       and target.met(outcome.figures[name]))}
                        for name, target in bench.targets.items()},
            "ceilings": {ceiling.label: {"figure": ceiling.figure, "ceiling": ceiling.ceiling,
                                         "ratio": ceiling.ratio(outcome.figures)}
                         for ceiling in bench.ceilings},
        }
    return summary


def previous_run(directory: Path, before: str) -> dict[str, Any] | None:
    """The newest stored run older than `before` (a file stem), if any."""
    older = sorted(path for path in directory.glob("*.json") if path.stem < before)
    return json.loads(older[-1].read_text()) if older else None


def _entries(run: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """Every targeted figure and ceiling ratio: value and how to show its target."""
    entries: dict[str, tuple[float, str]] = {}
    for name, part in run.get("benches", {}).items():
        for figure, target in part.get("targets", {}).items():
            if target["value"] is not None:
                entries[f"{name}: {figure}"] = (target["value"], target["target"])
        for label, ceiling in part.get("ceilings", {}).items():
            if ceiling["ratio"] is not None:
                entries[label] = (ceiling["ratio"], "ratio")
    return entries


def chart(run: dict[str, Any], previous: dict[str, Any] | None, path: Path) -> Path:
    """Each targeted figure as a share of its target (ratios as they are), this run beside the
    previous one; a line at 1 marks the target."""
    import matplotlib  # noqa: PLC0415 - a bench-only dependency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    now = _entries(run)
    before = _entries(previous) if previous else {}
    names = list(now)
    figure, axis = plt.subplots(figsize=(9, 0.45 * len(names) + 1.5))
    positions = range(len(names))

    def share(value: float, shown: str) -> float:
        if shown == "ratio":
            return value
        goal = float(shown[2:].replace(",", ""))
        if goal == 0:  # "≤ 0" (nothing stale): met is on the line, each one more halves it
            return 1.0 / (1.0 + value)
        return value / goal if shown.startswith("≥") else goal / max(value, 1e-9)

    shares = [share(*now[n]) for n in names]
    axis.barh([p + 0.2 for p in positions], shares, height=0.4,
              label=f"this run ({run['time'][:16]})", color="tab:blue")
    for position, name, bar in zip(positions, names, shares, strict=True):
        value, shown = now[name]
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        axis.annotate(text + ("" if shown == "ratio" else f" ({shown})"),
                      (bar, position + 0.2), xytext=(3, 0), textcoords="offset points",
                      va="center", fontsize=6)
    if before:
        axis.barh([p - 0.2 for p in positions],
                  [share(*before[n]) if n in before else 0 for n in names], height=0.4,
                  label=f"previous ({previous['time'][:16] if previous else ''})",
                  color="tab:gray")
    axis.axvline(1.0, color="tab:red", linestyle="--", linewidth=1, label="target")
    axis.set_yticks(list(positions), names, fontsize=7)
    axis.set_xscale("log")
    axis.set_xlabel("value / target (≤ targets: target / value; ceilings: the ratio itself)")
    axis.legend(fontsize=7, loc="lower right")
    axis.invert_yaxis()
    figure.suptitle(f"iamlog bench all — {run['machine']['cores']} cores, "
                    f"load {run['machine']['load_before']}")
    figure.tight_layout()
    figure.savefig(path, dpi=90, bbox_inches="tight")  # long labels stay whole
    plt.close(figure)
    return path


def _shown(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def markdown(run: dict[str, Any], previous: dict[str, Any] | None, image: str) -> str:
    """BENCHMARKS.md: the latest run's table, its ceilings, the chart, the machine."""
    info = run["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Latest `iamlog bench all`: {run['time']} on {info['cpu'] or 'an unknown CPU'}, "
        f"{info['cores']} cores, {info['memory_mib']:,} MiB, Linux {info['kernel']}, "
        f"Python {info['python']}; load average {info['load_before']} when it started "
        "(the machine is shared: figures move with that load). Kafka and Postgres run on the "
        "same machine. What each benchmark does: [docs/benchmarks.md](docs/benchmarks.md).",
        "",
        "| benchmark | figure | value | target | met | previous |",
        "|---|---|---|---|---|---|",
    ]
    before = previous.get("benches", {}) if previous else {}
    for name, part in run["benches"].items():
        if part["error"]:
            lines.append(f"| {name} | failed: {part['error'][:120]} | | | | |")
            continue
        for figure, target in part["targets"].items():
            old = before.get(name, {}).get("targets", {}).get(figure, {}).get("value")
            lines.append(f"| {name} | `{figure}` | {_shown(target['value'])} | "
                         f"{target['target']} | {'yes' if target['met'] else '**no**'} | "
                         f"{_shown(old)} |")
    lines += ["", "Ceilings (each ratio from the same run):", "",
              "| ratio | value | previous |", "|---|---|---|"]
    for name, part in run["benches"].items():
        for label, ceiling in part["ceilings"].items():
            old = before.get(name, {}).get("ceilings", {}).get(label, {}).get("ratio")
            lines.append(f"| {label} | {_shown(ceiling['ratio'])} | {_shown(old)} |")
    lines += ["", f"![figures against their targets]({image})", ""]
    return "\n".join(lines)


def main(quick: bool = False, only: list[str] | None = None,
         results_dir: Path | None = None, report: Path | None = None,
         benches: list[Bench] | None = None, *, isolate: bool = True) -> dict[str, Any]:
    """Run the benchmarks (each in a fresh process with `isolate`), store the run, draw it,
    rewrite BENCHMARKS.md."""
    chosen = [b for b in (benches or BENCHES) if not only or b.name in only]
    info = machine()
    outcomes = []
    for bench in chosen:
        console.rule(f"bench {bench.name}")
        outcomes.append(run_one(bench, quick, isolate=isolate))
    moment = datetime.now(UTC)
    run = {"time": moment.isoformat(timespec="seconds"), "quick": quick, "machine": info,
           "benches": summarize(outcomes, chosen)}
    directory = results_dir or ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    stem = moment.strftime("%Y-%m-%d")
    previous = _same_day(directory / f"{stem}.json") or previous_run(directory, stem)
    (directory / f"{stem}.json").write_text(json.dumps(run, indent=2) + "\n")
    image = chart(run, previous, directory / f"{stem}.png")
    target = report or ROOT / "BENCHMARKS.md"
    target.write_text(markdown(run, previous, os.path.relpath(image, target.parent)))
    console.print(f"wrote {directory / f'{stem}.json'}, {image} and {target}")
    return run


def _same_day(path: Path) -> dict[str, Any] | None:
    # An earlier run of the same day is the previous result until this one replaces it.
    return json.loads(path.read_text()) if path.exists() else None
