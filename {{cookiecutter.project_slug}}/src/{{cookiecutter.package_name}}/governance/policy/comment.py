"""The pull request's one report comment, from the run directories CI hands to its report job.

    python -m <package>.governance.policy.comment --title TEXT [--marker TEXT] [--diff diff.md] [--out report.md]
        --run LABEL RESULT DIR [--run ...] [--skipped-note LABEL TEXT]...

Each ``--run`` is one training run of the pull request: its label, its job's result (``success``,
``failure``, ``skipped``, ``cancelled``) and the folder holding what ``gate`` wrote (``gate.json``,
``facts.json``); a folder that is missing or incomplete means the run did not get that far.

The comment: the verdict of every run first, then what blocks (each rule once, with the runs it
blocks and how to fix it), the metrics of every run that happened next to production's, the other
findings (each once), the spec and policy changes from ``diff`` (its metrics section left out: the
table here has every run), and the passed rules folded away. Exits 2 on bad arguments.
Standard library only, so the report job needs no install (``PYTHONPATH=src``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ...files import atomic_write_text
from .markdown import DIFF_METRICS_HEADING, blocking_section, cell, merge, other_findings_sections, passed_section

RESULT_ICONS = {"success": "✅", "failure": "❌", "cancelled": "⏹️", "skipped": "⏭️"}


@dataclass
class Run:
    """One training run of the pull request, as the report job sees it."""

    label: str
    result: str
    gate: dict | None
    facts: dict | None

    @classmethod
    def read(cls, label: str, result: str, folder: Path) -> Run:
        """The run's gate and facts from ``folder``; a skipped run has none, whatever lies there."""
        if result == "skipped":
            return cls(label, result, None, None)
        return cls(label, result, _json(folder / "gate.json"), _json(folder / "facts.json"))


def _json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def headline(metrics: dict | None) -> dict[str, float]:
    """The numbers compared with production: test metrics and the golden pass rate."""
    metrics = metrics or {}
    out = {
        name: float(value)
        for name, value in (metrics.get("test") or {}).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "rows"
    }
    golden = metrics.get("golden") or {}
    if isinstance(golden.get("pass_rate"), (int, float)):
        out["golden_pass_rate"] = float(golden["pass_rate"])
    return out


def verdict_section(runs: list[Run], notes: dict[str, str]) -> list[str]:
    """One line per run: the job's result and the gate's verdict, blocking rules named."""
    ran = [run for run in runs if run.result != "skipped"]
    blocked = [run for run in ran if run.result != "success" or not (run.gate or {}).get("passed")]
    head = "⛔ **Blocked**" if blocked or not ran else "✅ **Every gate passed**"
    lines = ["", head, ""]
    for run in runs:
        mark = RESULT_ICONS.get(run.result, "❔")
        line = f"- {mark} {run.label}: **{run.result}**"
        if run.gate:
            stops = [r["id"] for r in run.gate.get("results", []) if r.get("blocking")]
            verdict = "passed" if run.gate.get("passed") else f"blocked by {', '.join(stops)}"
            line += f" · gate at `{run.gate.get('stage')}` {verdict} · {run.gate.get('summary', '')}"
        elif run.result != "skipped":
            line += " · no gate report: the run did not get that far"
        lines.append(line)
    for run in runs:
        if run.result == "skipped" and run.label in notes:
            lines += ["", "> [!WARNING]", *(f"> {line}" for line in notes[run.label].splitlines())]
    return lines


def metrics_section(runs: list[Run]) -> list[str]:
    """The headline metrics of every run that has them, next to production's, with the change."""
    measured = [run for run in runs if headline((run.facts or {}).get("metrics"))]
    if not measured:
        return []
    baseline = next((run.facts["baseline"] for run in measured if run.facts.get("baseline")), None)
    production = headline(baseline.get("metrics")) if baseline else {}
    primary = next(((run.facts.get("deltas") or {}).get("primary_metric") for run in measured), None)
    primary = primary or (measured[0].facts["metrics"].get("primary_metric") or "")
    names = sorted({n for run in measured for n in headline(run.facts["metrics"])}, key=lambda n: (n != primary, n))
    where = f"production is `{cell(baseline.get('source'))}`" if baseline else "no production baseline yet"
    lines = ["", "### 📊 Metrics", "", f"Test split and golden set; {where}.", ""]
    lines += ["| metric | production | " + " | ".join(cell(run.label) for run in measured) + " |"]
    lines += ["|---" * (2 + len(measured)) + "|"]
    for name in names:
        row = [f"**{name}**" if name == primary else name, _number(production.get(name))]
        for run in measured:
            change = ((run.facts.get("deltas") or {}).get("metrics") or {}).get(name)
            row.append(_number(headline(run.facts["metrics"]).get(name), change))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _number(value: float | None, change: dict | None = None) -> str:
    """``0.912``, or ``0.912 (+0.010 ▲)`` against production (▲ better, ▼ worse, by the gate's own deltas)."""
    if value is None:
        return "—"
    if not change or abs(change.get("delta", 0)) < 5e-4:
        return f"{value:.3f}"
    return f"{value:.3f} ({change['delta']:+.3f} {'▼' if change.get('regression', 0) > 0 else '▲'})"


def diff_section(text: str | None) -> list[str]:
    """``diff``'s comment without its marker, its title and its metrics section."""
    if text is None:
        return ["", "_No change report: the CPU run did not get that far._"]
    lines, skipping = [], False
    for line in text.splitlines()[2:] if text.startswith("<!--") else text.splitlines():
        if line.startswith("### "):
            skipping = line.startswith(DIFF_METRICS_HEADING)
        if not skipping:
            lines.append(line)
    while lines and not lines[0].strip():
        lines.pop(0)
    return ["", *lines] if lines else []


def comment(title: str, runs: list[Run], *, diff: str | None, notes: dict[str, str], marker: str = "") -> str:
    """The whole comment, sections in order; a section with nothing to say is left out."""
    gated = {run.label: run.gate["results"] for run in runs if run.gate and isinstance(run.gate.get("results"), list)}
    entries = merge(gated)
    labels = list(gated)
    sections = [
        [marker] if marker else [],
        [f"## {title}"],
        verdict_section(runs, notes),
        blocking_section(entries, runs=labels),
        metrics_section(runs),
        other_findings_sections(entries, runs=labels),
        diff_section(diff),
        passed_section(entries, runs=labels),
    ]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="comment", description=__doc__.splitlines()[0])
    parser.add_argument("--title", required=True)
    parser.add_argument("--marker", default="", help="a hidden first line that finds the comment again")
    parser.add_argument("--run", nargs=3, action="append", required=True, metavar=("LABEL", "RESULT", "DIR"))
    parser.add_argument("--skipped-note", nargs=2, action="append", default=[], metavar=("LABEL", "TEXT"))
    parser.add_argument("--diff", type=Path, default=None, help="the Markdown `diff --out` wrote")
    parser.add_argument("--out", type=Path, default=None, help="also write the comment here")
    args = parser.parse_args(argv)
    runs = [Run.read(label, result, Path(folder)) for label, result, folder in args.run]
    diff = None
    if args.diff is not None and args.diff.is_file():
        diff = args.diff.read_text(encoding="utf-8", errors="replace")
    text = comment(args.title, runs, diff=diff, notes=dict(args.skipped_note), marker=args.marker)
    if args.out is not None:
        atomic_write_text(args.out, text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
