"""`iamlog bench plot` draws a PNG per results file."""

from __future__ import annotations

import json
from pathlib import Path

from services.bench.plot import main


def test_plots_every_results_file(tmp_path: Path) -> None:
    """Two runs of nested figures become one PNG; a file without times is skipped."""
    runs = [{"time": "2026-11-28T10:00:00+00:00", "rate": 10.0, "phase": {"p99": 5}},
            {"time": "2026-11-28T11:00:00+00:00", "rate": 12.0, "phase": {"p99": 4}}]
    (tmp_path / "demo.jsonl").write_text("".join(json.dumps(run) + "\n" for run in runs))
    (tmp_path / "empty.jsonl").write_text('{"rate": 1}\n')
    images = main(tmp_path)
    assert [tmp_path / "demo.png"] == images
    assert images[0].read_bytes().startswith(b"\x89PNG")
