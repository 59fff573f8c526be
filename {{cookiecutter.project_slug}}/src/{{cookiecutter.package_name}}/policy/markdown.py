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
    if result.pending:
        return "⏳"
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


def _trust(report: GateReport) -> list[str]:
    """Where the verdict's policies came from, and the approvals (pull requests judged by their base)."""
    trust = report.trust
    if trust is None:
        return []
    who = ", ".join(trust["approved_by"]) or "nobody yet"
    held = [c for c in trust["changes"] if c["held"]]
    lines = [
        "",
        f"Judged by the policies, waivers and production baseline of `{trust['ref']}` (`{trust['commit'][:12]}`)"
        f" · {len(held)} change{'s' * (len(held) != 1)} to them need an owner's approval · approved by {who}",
    ]
    return lines


def _after_merge(report: GateReport) -> list[str]:
    """This change's own policies on the same run: each result that differs from the verdict's."""
    merged = report.after_merge
    if merged is None:
        return []
    state = "✅ would pass" if merged.passed else "⛔ would be blocked"
    lines = ["", f"### After merge: {state} with this change's policies", "", merged.summary()]
    mine = {r.id: r.status for r in report.results}
    differ = [r for r in merged.results if r.status != mine.get(r.id)]
    return lines + (["", *_rows(differ, "Where")] if differ else [])


def gate_markdown(report: GateReport) -> str:
    """The whole comment."""
    c = report.counts()
    head = "✅ Policy gate passed" if report.passed else "⛔ Policy gate blocked"
    lines = [
        f"## {head} · `{report.stage}`",
        "",
        f"Run `{report.run_id}` · {report.summary()} · policies `{report.policy_hash[:12]}`",
        *_trust(report),
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
    lines += _after_merge(report)
    return "\n".join(lines) + "\n"
