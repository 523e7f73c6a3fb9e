"""`iamlog bench all`: runs every registered bench and writes the standing report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from services.bench import all as bench_all
from services.bench.registry import BENCHES, Bench, Ceiling, Target


def _bench(tmp_path: Path, name: str, lines: list[dict[str, object]]) -> Bench:
    """A bench that appends the next of `lines` to its own results file on each run."""
    path = tmp_path / f"{name}.jsonl"

    def run(quick: bool) -> None:
        assert quick
        done = len(path.read_text().splitlines()) if path.exists() else 0
        with path.open("a") as out:
            out.write(json.dumps(lines[done]) + "\n")

    return Bench(name, run, lambda: path,
                 targets={"rate": Target(100.0), "p99_ms": Target(50.0, at_least=False)},
                 ceilings=(Ceiling("rate / raw", "rate", "inner.raw"),))


def _broken(quick: bool) -> None:
    raise RuntimeError("broker gone")


def test_runs_each_bench_and_compares_with_targets_and_previous(tmp_path: Path) -> None:
    """Two runs: figures, targets met or not, ceiling ratios from the same run, the previous
    run's value beside the latest, a failed bench reported while the others still count."""
    fast = _bench(tmp_path, "fast", [
        {"time": "t1", "rate": 150.0, "p99_ms": 80.0, "inner": {"raw": 600.0}},
        {"time": "t2", "rate": 90.0, "p99_ms": 20.0, "inner": {"raw": 300.0}}])
    broken = Bench("broken", _broken, lambda: tmp_path / "broken.jsonl",
                   targets={"rate": Target(1.0)})
    results, report = tmp_path / "results", tmp_path / "BENCHMARKS.md"
    first = bench_all.main(quick=True, results_dir=results, report=report,
                           benches=[fast, broken], isolate=False)
    (stored,) = results.glob("*.json")
    stored.rename(results / "2000-01-01.json")  # as if it ran on an earlier day
    second = bench_all.main(quick=True, results_dir=results, report=report,
                            benches=[fast, broken], isolate=False)

    assert {"target": "≥ 100", "value": 150.0, "met": True} == \
        first["benches"]["fast"]["targets"]["rate"]
    assert {"target": "≤ 50", "value": 80.0, "met": False} == \
        first["benches"]["fast"]["targets"]["p99_ms"]
    assert 0.25 == first["benches"]["fast"]["ceilings"]["rate / raw"]["ratio"]
    assert 0.3 == second["benches"]["fast"]["ceilings"]["rate / raw"]["ratio"]
    assert [False, True] == [second["benches"]["fast"]["targets"][name]["met"]
                             for name in ("rate", "p99_ms")]
    assert "broker gone" in second["benches"]["broken"]["error"]
    assert second["machine"]["cores"] >= 1
    text = report.read_text()
    assert "| fast | `rate` | 90.00 | ≥ 100 | **no** | 150 |" in text
    assert "| rate / raw | 0.30 | 0.25 |" in text
    assert "broken | failed: RuntimeError: broker gone" in text
    (image,) = results.glob("*.png")
    assert image.read_bytes().startswith(b"\x89PNG")
    assert f"]({image.relative_to(tmp_path)})" in text


def _write_pid(quick: bool) -> None:
    """A benchmark that records the process it ran in (module level: a spawned child
    imports it by name)."""
    path = Path(os.environ["IAMLOG_TEST_PID_FILE"])
    path.write_text(f'{{"time": "t", "pid": {os.getpid()}}}\n')


def _raise(quick: bool) -> None:
    raise RuntimeError("failed in the child")


def test_each_bench_runs_in_a_fresh_process(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With isolation (the default) a benchmark runs in another process, its figures still
    come from the line it appended, and its failure is still reported."""
    results = tmp_path / "pid.jsonl"
    monkeypatch.setenv("IAMLOG_TEST_PID_FILE", str(results))
    outcome = bench_all.run_one(Bench("pid", _write_pid, lambda: results), quick=True)
    failed = bench_all.run_one(Bench("raise", _raise, lambda: tmp_path / "raise.jsonl"),
                               quick=True)

    assert outcome.error is None, outcome
    assert outcome.figures["pid"] != os.getpid()
    assert failed.error is not None
    assert "failed in the child" in failed.error


def test_registry_names_every_benchmark_command_with_a_results_file() -> None:
    """Each `iamlog bench` command except `all`, `plot` and `soak` (half an hour of load with
    bounds of its own; CI runs its short variant) is in the registry, once, and the issues'
    targets are there."""
    from services.cli.bench import app  # noqa: PLC0415

    commands = {command.name for command in app.registered_commands} - {"all", "plot", "soak"}
    names = [bench.name for bench in BENCHES]
    assert sorted(commands) == sorted(names)
    targets = {(bench.name, figure) for bench in BENCHES for figure in bench.targets}
    assert {("api", "list_per_second"), ("api", "pairs_per_second"), ("sigv4", "ratio"),
            ("sts", "assume_role_per_second"), ("sts", "caller_identity_per_second")} <= targets
    assert all(bench.results_file().name == f"{bench.name}.jsonl" for bench in BENCHES)
