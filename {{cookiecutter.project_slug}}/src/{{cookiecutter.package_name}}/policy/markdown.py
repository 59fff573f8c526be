"""The gate report as Markdown: the pull-request comment (``gate.md``).

Blocking failures come first with how to fix them, then warnings, waived and skipped rules;
passed rules fold away in a ``<details>`` block.
"""

from __future__ import annotations

from .engine import Result
from .verdict import GateReport

ICONS = {"error": "⛔", "fail": "❌", "warning": "⚠️", "waived": "🟡", "skipped": "⏭️", "pass": "✅"}


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _where(result: Result) -> str:
    loc = result.location
    return f"`{loc.path}:{loc.line}`" if loc else ""


def _icon(result: Result) -> str:
    if result.status == "fail":
        return ICONS["fail"] if result.blocking else ICONS["warning"]
    return ICONS[result.status]


def _rows(results: list[Result], last: str) -> list[str]:
    lines = [f"| | Rule | Result | {last} |", "|---|---|---|---|"]
    for r in results:
        extra = _where(r)
        if r.status == "waived" and r.waiver:
            w = r.waiver
            extra = cell(f"{w['approver']} until {w['expires']}: {w['reason']}")
        lines.append(f"| {_icon(r)} | **{r.id}** {cell(r.title)} | {cell(r.message)} | {extra} |")
    return lines


def _fixes(results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        lines += ["", f"<details><summary><b>{r.id}</b>: how to fix</summary>", "", cell(r.help)]
        if r.evidence:
            lines += ["", "Rows / items: " + ", ".join(f"`{cell(e)}`" for e in r.evidence)]
        if r.url:
            lines += ["", f"More: {r.url}"]
        lines += ["", "</details>"]
    return lines


def gate_markdown(report: GateReport) -> str:
    """The whole comment."""
    c = report.counts()
    head = "✅ Policy gate passed" if report.passed else "⛔ Policy gate blocked"
    lines = [
        f"## {head} · `{report.stage}`",
        "",
        f"Run `{report.run_id}` · {report.summary()} · policies `{report.policy_hash[:12]}`",
    ]
    groups = [
        ("Blocking", [r for r in report.results if r.blocking], "Where"),
        ("Warnings", [r for r in report.results if r.status == "fail" and not r.blocking], "Where"),
        ("Waived", [r for r in report.results if r.status == "waived"], "Waiver"),
        ("Skipped", [r for r in report.results if r.status == "skipped"], "Where"),
    ]
    for title, results, last in groups:
        if results:
            lines += ["", f"### {title} ({len(results)})", "", *_rows(results, last)]
            if title in ("Blocking", "Warnings"):
                lines += _fixes(results)
    passed = [r for r in report.results if r.status == "pass"]
    if passed:
        lines += ["", f"<details><summary>{c['passed']} passed</summary>", "", "| Rule | Value |", "|---|---|"]
        lines += [f"| **{r.id}** {cell(r.title)} | {cell(r.message)} |" for r in passed]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
