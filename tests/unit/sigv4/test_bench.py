"""`iamlog bench sigv4` runs end to end on a small workload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.bench import sigv4 as bench


def test_small_run_records_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every signed request verifies, and one JSON line with both series is appended."""
    results = tmp_path / "sigv4.jsonl"
    monkeypatch.setattr(bench, "RESULTS", results)

    bench.main(60)

    (line,) = results.read_text().splitlines()
    figures = json.loads(line)
    assert 60 == figures["requests"]
    assert 60 == figures["verify"]["count"] == figures["sign"]["count"]
    assert figures["ratio"] > 0
