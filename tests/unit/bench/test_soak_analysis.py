"""The soak's own analysis: warm-up until the idempotency window is full, RSS growth after it,
p99 per minute. Synthetic series show that a filling window passes and a leak fails."""

from __future__ import annotations

from pathlib import Path

from services.bench.mixed import Sent
from services.bench.soak import (
    MAX_RSS_GROWTH,
    ROLES,
    WARM_UP_SECONDS,
    SoakFigures,
    draw,
    figures_of,
    rss_growth,
    warm_up_end,
)

BEGAN = 1000.0
MINUTES = 3.0
WINDOW = 500


def _load(per_second: float = 10.0, seconds: float = 0.02,
          slow_after: float | None = None) -> list[Sent]:
    """Requests at a steady rate over the soak, every other one appending an event; with
    `slow_after`, every request after that moment takes 3 times as long."""
    sent = []
    for n in range(int(MINUTES * 60 * per_second)):
        started = BEGAN + n / per_second
        took = 3 * seconds if slow_after is not None and started >= BEGAN + slow_after else seconds
        expects = ("iamlog.access_key.issued",) if n % 2 == 0 else ()
        sent.append(Sent("op", "Action", f"r{n}", 200, "", started, took, expects))
    return sent


def _series(mib: float, *, fill_until: float = 0.0, fill_mib: float = 0.0,
            leak_mib_per_minute: float = 0.0) -> list[tuple[float, float]]:
    """RSS every 5 s: rising by `fill_mib` until `fill_until` (a bounded structure filling),
    then growing by `leak_mib_per_minute` (a leak), if any."""
    points = []
    for n in range(int(MINUTES * 12) + 1):
        moment = n * 5.0
        filled = fill_mib * min(moment, fill_until) / fill_until if fill_until else 0.0
        points.append((BEGAN + moment, mib + filled + leak_mib_per_minute * moment / 60))
    return points


def _figures(sent: list[Sent], series: dict[str, list[tuple[float, float]]], *,
             remembered: int = 20) -> SoakFigures:
    return figures_of(sent, series, capacity=20.0, rate=10.0, minutes=MINUTES, began=BEGAN,
                      window=WINDOW, remembered=remembered)


def test_the_warm_up_lasts_a_minute_and_until_the_window_is_full() -> None:
    sent = _load()  # five appending requests a second
    # 480 more to fill a window of 500: the 480th appending request is answered at ~96 s.
    assert 95 < warm_up_end(sent, began=BEGAN, window=WINDOW, remembered=20) - BEGAN < 97
    assert warm_up_end(sent, began=BEGAN, window=WINDOW, remembered=WINDOW) == \
        BEGAN + WARM_UP_SECONDS
    assert warm_up_end(sent, began=BEGAN, window=10_000, remembered=20) is None


def test_a_structure_filling_to_its_bound_during_the_warm_up_is_not_growth() -> None:
    """The processor's window fills in the first 95 s (+30 MiB, 11 of them after the first
    minute), then its memory is flat, as are the other roles': within bounds, though counted
    from the first minute the growth would be above 10 %."""
    series = {role: _series(90.0) for role in ROLES}
    series["processor"] = _series(90.0, fill_until=95.0, fill_mib=30.0)
    figures = _figures(_load(), series)

    assert figures.within_bounds, figures
    assert set(figures.rss_growth) == set(ROLES)
    assert abs(figures.rss_growth["processor"]) < 0.01
    assert rss_growth(series["processor"], BEGAN + WARM_UP_SECONDS) > MAX_RSS_GROWTH


def test_a_leak_after_the_warm_up_fails() -> None:
    """A role that keeps growing 8 MiB a minute (a leak of a few KB per request) fails."""
    for role in ROLES:
        series = {other: _series(90.0) for other in ROLES}
        series[role] = _series(90.0, leak_mib_per_minute=8.0)
        figures = _figures(_load(), series)

        assert not figures.within_bounds, role
        assert figures.rss_growth[role] >= MAX_RSS_GROWTH
        assert figures.as_dict()[f"rss_growth_{role}_pct"] >= 100 * MAX_RSS_GROWTH
        assert figures.as_dict()[f"rss_first_{role}_mib"] == 90.0


def test_a_window_that_never_fills_cannot_pass() -> None:
    """Without a full window the growth would include it: no verdict of 'within bounds'."""
    series = {role: _series(90.0) for role in ROLES}
    figures = figures_of(_load(), series, capacity=20.0, rate=10.0, minutes=MINUTES,
                         began=BEGAN, window=10_000, remembered=20)

    assert figures.warm_up_seconds is None
    assert not figures.within_bounds
    assert figures.as_dict()["warm_up_s"] is None


def test_p99_per_minute_against_the_first() -> None:
    flat = {role: _series(90.0) for role in ROLES}
    steady = _figures(_load(), flat)
    slower = _figures(_load(slow_after=120.0), flat)

    assert len(steady.p99_ms) == 3
    assert steady.p99_ratio == 1.0
    assert steady.within_bounds
    assert slower.p99_ratio == 3.0
    assert not slower.within_bounds


def test_a_longer_warm_up_floor_leaves_filling_sessions_out() -> None:
    """Live sessions fill until the first ones expire (here at 150 s, +40 MiB in the api):
    with the warm-up floor past that, the growth after it is flat and the series per minute
    shows the filling."""
    series = {role: _series(90.0) for role in ROLES}
    series["api"] = _series(90.0, fill_until=150.0, fill_mib=40.0)
    short = _figures(_load(), series)
    covered = figures_of(_load(), series, capacity=20.0, rate=10.0, minutes=MINUTES,
                         began=BEGAN, window=WINDOW, remembered=20, floor=150.0)

    assert short.rss_growth["api"] > MAX_RSS_GROWTH
    assert 150.0 == covered.warm_up_seconds
    assert abs(covered.rss_growth["api"]) < 0.01
    assert covered.within_bounds
    assert [90.0, 106.0, 122.0, 130.0] == covered.rss_minutes["api"]
    assert covered.as_dict()["rss_per_minute_mib"]["api"] == [90.0, 106.0, 122.0, 130.0]
    assert 150.0 == covered.as_dict()["warm_up_floor_s"]


def test_the_chart_is_drawn(tmp_path: Path) -> None:
    """The soak's chart is a PNG file."""
    figures = _figures(_load(), {role: _series(90.0) for role in ROLES})

    target = draw(figures, tmp_path / "soak.png")

    assert target.read_bytes().startswith(b"\x89PNG")
