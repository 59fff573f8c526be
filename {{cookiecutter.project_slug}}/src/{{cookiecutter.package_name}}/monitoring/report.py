"""``drift.md`` and its plots: the drift of one window, for people (``drift.json`` is for machines).

Plots are drawn with matplotlib's Agg backend and written atomically next to the report:
label shares, the confidence histogram and, when present, input and output length means.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import printable
from ..files import atomic_write_bytes, atomic_write_text

REPORT = "drift.md"


def write_report(out: Path, report: dict) -> None:
    """Write ``drift.md`` and its PNG plots into ``out``."""
    images = _plots(out, report)
    atomic_write_text(out / REPORT, render(report, images))


def _plots(out: Path, report: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    written = {}
    if report["labels"]:
        labels = report["labels"]
        _save(
            _bars(list(labels["reference"]), labels["reference"], labels["window"], "Predicted labels"),
            out / "drift_labels.png",
        )
        written["Predicted labels"] = "drift_labels.png"
    if report["confidence"]:
        conf = report["confidence"]
        names = [f"{i / conf['bins']:.1f}" for i in range(conf["bins"])]
        ref = dict(zip(names, conf["reference"], strict=True))
        win = dict(zip(names, conf["window"], strict=True))
        _save(_bars(names, ref, win, "Confidence (top score, bin start)"), out / "drift_confidence.png")
        written["Confidence"] = "drift_confidence.png"
    return written


def _bars(names: list[str], reference: dict, window: dict, title: str):
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.5 + 0.7 * len(names), 3.4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(names))
    ax.bar(x - 0.2, [reference.get(n, 0) for n in names], 0.4, label="reference")
    ax.bar(x + 0.2, [window.get(n, 0) for n in names], 0.4, label="window")
    ax.set_xticks(x, [printable(n)[:20] for n in names], rotation=30, ha="right")
    ax.set_ylabel("share")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


def _cell(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}" if isinstance(value, float) else printable(str(value)).replace("|", "\\|")


def render(report: dict, images: dict[str, str]) -> str:
    """The Markdown report."""
    p, lines = report["predictions"], report["lines"]
    out = [
        "# Drift report",
        "",
        f"{p['count']} predictions logged since {report['since']} under `{printable(report['logs'])}`, "
        f"against the reference of run `{report['reference']['run_id']}` ({printable(report['reference']['source'])}).",
        "",
        "| check | statistic | value | limit | state |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, c in report["checks"].items():
        state = {True: "**exceeded**", False: "ok", None: "n/a"}[c["exceeded"]]
        out.append(f"| {name} | {c['statistic']} | {_cell(c['value'])} | {_cell(c['limit'])} | {state} |")
    numeric = [("Input length (chars)", report["input_length"]), ("Output length (chars)", report["output_length"])]
    out += ["", "| distribution | reference mean | window mean | KS | p-value |", "| --- | --- | --- | --- | --- |"]
    for title, n in numeric:
        if n:
            cells = [_cell(n[key]) for key in ("reference_mean", "window_mean", "ks", "p_value")]
            out.append(f"| {title} | {' | '.join(cells)} |")
    if report["unseen_tokens"]:
        u = report["unseen_tokens"]
        out += [
            "",
            f"Words missing from the vocabulary: {_cell(u['window_rate'])} of the window's, "
            f"{_cell(u['reference_rate'])} of the reference's.",
        ]
    if report["watcher"]:
        out += [
            "",
            "Watcher checks flagged: " + ", ".join(f"{k} {_cell(v)}" for k, v in report["watcher"].items()) + ".",
        ]
    if p["by_error"]:
        out += ["", "Failed predictions: " + ", ".join(f"{_cell(k)} {v}" for k, v in p["by_error"].items()) + "."]
    out += [
        "",
        "## Log lines",
        "",
        f"{lines['total']} lines in {lines['files']} files; {lines['outside_window']} outside the window; "
        f"{lines['unreadable']} unreadable ({_cell(lines['unreadable_rate'])}).",
    ]
    if lines["located"]:
        out += ["", "| file | line | kind | detail |", "| --- | --- | --- | --- |"]
        out += [f"| {_cell(x['file'])} | {x['line']} | {x['kind']} | {_cell(x['detail'])} |" for x in lines["located"]]
    for title, name in images.items():
        out += ["", f"## {title}", "", f"![{title}]({name})"]
    return "\n".join(out) + "\n"
