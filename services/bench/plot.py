"""`iamlog bench plot`: each benchmark's figures over time, one PNG per results file.

Reads `bench-results/<name>.jsonl` (one JSON object per run) and draws every numeric figure
(nested ones flattened as `phase.figure`) against the run's time, one small panel each, into
`bench-results/<name>.png`.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from services.bench.common import RESULTS_DIR


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every numeric value of a results line, nested keys joined as `outer.inner`."""
    figures: dict[str, float] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            figures.update(flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            figures[name] = float(value)
    return figures


def _runs(path: Path) -> list[tuple[datetime, dict[str, float]]]:
    runs = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        moment = record.get("time") or record.get("timestamp")
        if moment:
            runs.append((datetime.fromisoformat(moment), flatten(record)))
    return runs


def plot_file(path: Path) -> Path | None:
    """Draw one results file; None when it has no timed runs."""
    import matplotlib  # noqa: PLC0415 - a bench-only dependency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    runs = _runs(path)
    if not runs:
        return None
    names = sorted({name for _, figures in runs for name in figures})
    columns = 3
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.6 * rows),
                                squeeze=False)
    for axis, name in zip(axes.flat, names, strict=False):
        points = [(moment, figures[name]) for moment, figures in runs if name in figures]
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o")
        axis.set_title(name, fontsize=8)
        axis.tick_params(labelsize=6)
        axis.tick_params(axis="x", rotation=30)
    for axis in list(axes.flat)[len(names):]:
        axis.axis("off")
    figure.suptitle(f"iamlog bench {path.stem}: figures per run")
    figure.tight_layout()
    target = path.with_suffix(".png")
    figure.savefig(target, dpi=90)
    plt.close(figure)
    return target


def main(directory: Path = RESULTS_DIR) -> list[Path]:
    """Plot every results file in `directory`; return the images written."""
    written = [plot_file(path) for path in sorted(directory.glob("*.jsonl"))]
    images = [path for path in written if path is not None]
    for image in images:
        print(image)
    return images
