"""The gate's results as Markdown: ``gate.md`` of one run, and the sections of the pull request's
report comment (``policy/comment.py`` puts them together for every run CI made).

Sections are small functions of results shaped like ``gate.json``'s (plain dicts), each returning
its lines (none when it has nothing to say), so a report is a list of sections and a new kind of
result is one more function. Order: the verdict, what blocks with how to fix it, the other
findings (warnings, waived, skipped), then the passed rules folded away. This module uses only
the standard library: the report job renders the comment without installing the project.
"""

from __future__ import annotations

from collections.abc import Iterable

ICONS = {"error": "⛔", "fail": "❌", "warning": "⚠️", "waived": "🟡", "skipped": "⏭️", "pass": "✅"}
#: result kinds in report order; ``kind`` says which a result is
KINDS = ("blocking", "warning", "waived", "skipped", "pass")
#: a finding, once, with the runs it was found in (empty for a report of one run)
Entry = tuple[dict, list[str]]
#: the labels of the runs a comment covers, or None for ``gate.md`` (one run, passed rules with their values)
Runs = list[str] | None
#: the heading of ``diff``'s metrics section; the pull request comment has its own table of every run
DIFF_METRICS_HEADING = "### 📊 Metrics against production"


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def kind(result: dict) -> str:
    """``blocking``, ``warning`` (failed, not blocking), ``waived``, ``skipped`` or ``pass``."""
    if result.get("blocking"):
        return "blocking"
    return "warning" if result["status"] == "fail" else result["status"]


def icon(result: dict) -> str:
    if result.get("pending_approval"):
        return "⏳"
    if result["status"] == "fail":
        return ICONS["fail"] if result.get("blocking") else ICONS["warning"]
    return ICONS[result["status"]]


def merge(results_by_run: dict[str, list[dict]]) -> list[Entry]:
    """Each rule's result once per kind, with the runs it came from, in report order."""
    merged: dict[tuple[str, str], Entry] = {}
    for run, results in results_by_run.items():
        for result in results:
            entry = merged.setdefault((kind(result), result["id"]), (result, []))
            entry[1].append(run)
    return sorted(merged.values(), key=lambda entry: (KINDS.index(kind(entry[0])), entry[0]["id"]))


def _where(result: dict) -> str:
    waiver = result.get("waiver")
    if result["status"] == "waived" and waiver:
        return cell(f"{waiver['approver']} until {waiver['expires']}: {waiver['reason']}")
    loc = result.get("location")
    return f"`{loc['path']}:{loc['line']}`" if loc else ""


def found_in(runs_of_entry: list[str], runs: Runs) -> str:
    """The runs a result came from, or ``all`` when it is every run of the report."""
    return "all" if runs and runs_of_entry == runs else ", ".join(runs_of_entry)


def table(entries: list[Entry], *, runs: Runs, last: str = "Where") -> list[str]:
    """One row per finding: icon, rule, (runs,) result, where it points (or the waiver)."""
    several = bool(runs) and len(runs) > 1
    head = ["", "Rule", *(["Runs"] if several else []), "Result", last]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for result, where_found in entries:
        row = [icon(result), f"**{result['id']}** {cell(result['title'])}"]
        row += [cell(found_in(where_found, runs))] if several else []
        lines.append("| " + " | ".join([*row, cell(result["message"]), _where(result)]) + " |")
    return lines


def fixes(entries: Iterable[Entry]) -> list[str]:
    """How to fix each finding, folded: its help text, evidence rows and link."""
    lines = []
    for result, _ in entries:
        if not (result.get("help") or result.get("evidence") or result.get("url")):
            continue
        lines += ["", f"<details><summary><b>{result['id']}</b>: how to fix</summary>", ""]
        lines += [cell(result.get("help", ""))]
        if result.get("evidence"):
            lines += ["", "Rows / items: " + ", ".join(f"`{cell(e)}`" for e in result["evidence"])]
        if result.get("url"):
            lines += ["", f"More: {result['url']}"]
        lines += ["", "</details>"]
    return lines


def findings_section(title: str, entries: list[Entry], *, runs: Runs, with_fixes: bool, last: str = "Where"):
    """``### title (n)``, the table and, when asked, how to fix each; nothing when there are none."""
    if not entries:
        return []
    lines = ["", f"### {title} ({len(entries)})", "", *table(entries, runs=runs, last=last)]
    return lines + (fixes(entries) if with_fixes else [])


def passed_section(entries: list[Entry], *, runs: Runs) -> list[str]:
    """The passed rules, folded away: a line each in a comment (with the runs, when not all), a table row
    with the value in ``gate.md``."""
    passed = [entry for entry in entries if kind(entry[0]) == "pass"]
    if not passed:
        return []
    lines = ["", f"<details><summary>{len(passed)} passed</summary>", ""]
    if runs is not None:
        for result, where_found in passed:
            only = "" if where_found == runs else f" ({cell(found_in(where_found, runs))})"
            lines.append(f"- **{result['id']}** {cell(result['title'])}{only}")
    else:
        lines += ["| Rule | Value |", "|---|---|"]
        lines += [f"| **{r['id']}** {cell(r['title'])} | {cell(r['message'])} |" for r, _ in passed]
    return lines + ["", "</details>"]


def _of(entries: list[Entry], *kinds: str) -> list[Entry]:
    return [entry for entry in entries if kind(entry[0]) in kinds]


def blocking_section(entries: list[Entry], *, runs: Runs) -> list[str]:
    """What blocks, with how to fix each."""
    return findings_section("Blocking", _of(entries, "blocking"), runs=runs, with_fixes=True)


def other_findings_sections(entries: list[Entry], *, runs: Runs) -> list[str]:
    """Warnings (with how to fix each), then waived and skipped results."""
    return [
        *findings_section("Warnings", _of(entries, "warning"), runs=runs, with_fixes=True),
        *findings_section("Waived", _of(entries, "waived"), runs=runs, with_fixes=False, last="Waiver"),
        *findings_section("Skipped", _of(entries, "skipped"), runs=runs, with_fixes=False),
    ]


def trust_section(data: dict) -> list[str]:
    """Where the verdict's policies came from and who approved (a pull request judged by its base)."""
    trust = data.get("policies")
    if not trust:
        return []
    who = ", ".join(trust["approved_by"]) or "nobody yet"
    held = sum(1 for change in trust["changes"] if change["held"])
    return [
        "",
        f"Judged by the policies, waivers and production baseline of `{cell(trust['ref'])}` (`{trust['commit'][:12]}`)"
        f" · {held} change{'s' * (held != 1)} to them need an owner's approval · approved by {cell(who)}",
    ]


def after_merge_section(data: dict) -> list[str]:
    """This change's own policies on the same run: each result that differs from the verdict's."""
    merged = data.get("after_merge")
    if not merged:
        return []
    state = "✅ would pass" if merged["passed"] else "⛔ would be blocked"
    mine = {r["id"]: r["status"] for r in data["results"]}
    differ = [(r, []) for r in merged["results"] if r["status"] != mine.get(r["id"])]
    lines = ["", f"### After merge: {state} with this change's policies"]
    return lines + (["", *table(differ, runs=None)] if differ else [])


def gate_markdown(report) -> str:
    """``gate.md``: the verdict of one gate run, its findings, then the passed rules."""
    data = report.to_json()
    head = "✅ Policy gate passed" if data["passed"] else "⛔ Policy gate blocked"
    lines = [
        f"## {head} · `{data['stage']}`",
        "",
        f"Run `{data['run_id']}` · {data['summary']} · policies `{data['policy_hash'][:12]}`",
        *trust_section(data),
    ]
    entries = [(result, []) for result in data["results"]]
    lines += blocking_section(entries, runs=None)
    lines += other_findings_sections(entries, runs=None)
    lines += passed_section(entries, runs=None)
    lines += after_merge_section(data)
    return "\n".join(lines) + "\n"
