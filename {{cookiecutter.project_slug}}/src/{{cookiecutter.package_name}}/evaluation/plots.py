"""PNG plots of an evaluation: the confusion matrix and one bar chart per slice column.

Drawn with matplotlib's Agg backend (no display needed) and written atomically into the run.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from ..files import atomic_write_bytes

CONFUSION = "confusion_matrix.png"


def write_all(run_dir: Path, metrics: dict) -> dict[str, str]:
    """Draw every plot of ``metrics`` into ``run_dir``; returns title -> file name."""
    import matplotlib

    matplotlib.use("Agg")
    written = {"Confusion matrix (test)": CONFUSION}
    _save(confusion_figure(metrics["test"]["confusion_matrix"]), run_dir / CONFUSION)
    for column, values in metrics["slices"].items():
        name = f"slices_{re.sub(r'[^A-Za-z0-9_.-]', '_', column)}.png"
        _save(slice_figure(column, values), run_dir / name)
        written[f"Metrics by {column}"] = name
    return written


def confusion_figure(confusion: dict):
    """Counts of true (rows) against predicted (columns) labels, drawn by scikit-learn."""
    import numpy as np
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = confusion["labels"]
    size = 1.2 + 0.9 * len(labels)
    fig = Figure(figsize=(size + 1.5, size), layout="constrained")
    ax = fig.add_subplot()
    display = ConfusionMatrixDisplay(np.array(confusion["matrix"]), display_labels=labels)
    display.plot(ax=ax, cmap="Blues", colorbar=True, values_format="d", xticks_rotation=45)
    ax.set_title("True vs predicted label")
    return fig


def slice_figure(column: str, values: dict[str, dict]):
    """Grouped bars: each metric (bar) for each value (group) of one slice column."""
    import numpy as np
    from matplotlib.figure import Figure

    names = list(values)
    shown = [m for m in next(iter(values.values())) if m != "rows"]
    fig = Figure(figsize=(3.4 + 1.6 * len(names), 3.6), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(len(shown), 1)
    x = np.arange(len(names))
    for i, metric in enumerate(shown):
        ax.bar(x + (i - (len(shown) - 1) / 2) * width, [values[n][metric] for n in names], width, label=metric)
    ax.set_xticks(x, [f"{n}\n({values[n]['rows']} rows)" for n in names])
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Metrics by {column}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return fig


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())
