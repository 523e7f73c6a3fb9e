"""`iamlog bench policy` runs end to end and appends its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.bench import policy as bench

pytest.importorskip("moto", reason="moto is the bench extra's comparison evaluator")


def test_bench_appends_one_line_per_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Two short runs append two JSON lines with latency figures and moto's ratio."""
    results = tmp_path / "bench-results" / "policy.jsonl"
    monkeypatch.setattr(bench, "RESULTS", results)
    bench.main(decisions=300)
    bench.main(decisions=200)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [300, 200] == [line["decisions"] for line in lines]
    first = lines[0]
    assert 1.0 == first["moto_agreement"]
    assert 0 < first["p50_us"] <= first["p99_us"]
    assert first["ratio_p50"] > 1
    assert {"timestamp", "subset_p50_us", "moto_p50_us", "moto_p99_us",
            "context_build_p50_us"} <= set(first)
    assert "moto p50 / iamlog p50" in capsys.readouterr().out
