"""The soak's CI variant: three minutes of mixed load at half capacity on the fault suite's
private stack, all four roles as processes, with an idempotency window of 200 commands so the
warm-up fills it within the run (the 30-minute `iamlog bench soak` uses the default 10,000)."""

from __future__ import annotations

from pathlib import Path

from services.bench.soak import MAX_P99_RATIO, MAX_RSS_GROWTH, ROLES, soak
from services.settings import Settings

CI_WINDOW = 200


async def test_three_minute_soak_keeps_memory_and_latency_flat(fault_settings: Settings,
                                                               tmp_path: Path) -> None:
    """Once the processor's idempotency window is full (and at least a minute has passed) no
    role's resident memory grows 10 %; no minute's p99 is more than twice the first minute's;
    no request fails with a server error."""
    settings = fault_settings.model_copy(update={"idempotency_window": CI_WINDOW})

    figures = await soak(settings, 2.0, warm_up_minutes=1.0, workers=8, capacity_seconds=15.0,
                         log_dir=tmp_path)
    print(figures.as_dict())  # shown with -s: the figures of this run

    assert figures.requests > 500, figures
    assert 0 == figures.server_errors, figures
    assert figures.warm_up_seconds is not None, figures  # the window filled in time
    assert set(figures.rss_growth) == set(ROLES)
    for role, growth in figures.rss_growth.items():
        assert growth < MAX_RSS_GROWTH, (role, figures.rss_mib[role])
    assert len(figures.p99_ms) == 3
    assert figures.p99_ratio <= MAX_P99_RATIO, figures.p99_ms
    assert figures.within_bounds
