"""The soak's CI variant: three minutes of mixed load at half capacity on the shared stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.bench.soak import MAX_P99_RATIO, MAX_RSS_GROWTH, run


@pytest.mark.timeout(600)
async def test_three_minute_soak_keeps_memory_and_latency_flat(tmp_path: Path) -> None:
    """After a minute's warm-up no role's resident memory grows 10 %; no minute's p99 is
    more than twice the first minute's; no request fails with a server error."""
    figures = await run(3.0, workers=8, capacity_seconds=15.0, log_dir=tmp_path)
    assert figures.requests > 500, figures
    assert 0 == figures.server_errors, figures
    assert set(figures.rss_growth) == {"api", "processor", "projector"}
    for role, growth in figures.rss_growth.items():
        assert growth < MAX_RSS_GROWTH, (role, figures.rss_mib[role])
    assert len(figures.p99_ms) == 3
    assert figures.p99_ratio <= MAX_P99_RATIO, figures.p99_ms
