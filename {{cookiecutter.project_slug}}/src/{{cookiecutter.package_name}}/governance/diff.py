"""``diff --base REF``: what a change does, as one Markdown comment for its pull request.

Three parts: every spec and policy field that differs from ``REF`` (read with ``git show``);
the run's metrics against production's (``deploy/production/metrics.json`` at ``REF``, or
``--baseline``); and the policy results that change. "Before" is the policies at ``REF``
applied to production's facts when the release committed them (``deploy/production/facts.json``),
else to this run, which isolates what the policy edits change; "after" is this branch's
policies on this run. Prints the comment, and writes it to ``--out`` when given. Exits 2
outside a git repository, for an unknown ``REF``, or when a spec or policy file is invalid.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .. import gitinfo
from ..errors import ProjectError
from ..files import atomic_write_text
from ..specs.yamlio import decode_bytes, parse_yaml
from ..tasks import task_of_root
from .policy.engine import Result, compact, evaluate, rules_for
from .policy.markdown import DIFF_METRICS_HEADING, cell
from .policy.models import STAGES
from .policy.pack import POLICIES, PolicyPack, load_policies_at, policy_files
from .policy.waivers import apply_waivers

MARKER = "<!-- policy-gate:diff -->"
PRODUCTION_FACTS = "deploy/production/facts.json"
LIST_KEYS = ("id", "name", "type", "rule")
ARROWS = {True: "▲ better", False: "▼ worse"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", required=True, metavar="REF", help="git revision to compare with, e.g. origin/main")
    parser.add_argument("--run", default=None, help="run id (default: the latest run)")
    parser.add_argument("--stage", choices=STAGES, default="pr", help="gate stage whose rules are compared")
    parser.add_argument(
        "--baseline", metavar="PATH|REF", default=None, help="production metrics (default: those committed at --base)"
    )
    parser.add_argument("--now", default=None, help="evaluate as of this ISO time (default: now)")
    parser.add_argument("--out", type=Path, default=None, help="also write the comment to this file")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by field path; list items are named by their id/name/type when unique."""
    out: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        key = next(
            (k for k in LIST_KEYS if all(k in i for i in value) and len({str(i[k]) for i in value}) == len(value)),
            None,
        )
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{item[key] if key else i}]"))
    else:
        out[prefix] = value
    return out


def field_changes(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """``(path, old, new)`` for every leaf that differs; a missing side is ``...``."""
    old, new = flatten(before or {}), flatten(after or {})
    return [
        (p, old.get(p, ...), new.get(p, ...))
        for p in sorted(old.keys() | new.keys())
        if old.get(p, ...) != new.get(p, ...)
    ]


def _shown(value: Any) -> str:
    if value is ...:
        return "—"
    text = compact(value) if not isinstance(value, str) else value
    text = cell(text if len(text) <= 80 else text[:79] + "…").replace("`", "'")
    return f"`{text}`"


def _yaml_at(root: Path, commit: str, ref: str, path: str) -> tuple[dict | None, str]:
    """The data of YAML file ``path`` at ``commit``: ``(data, "")``, or ``(None, why not)``."""
    raw = gitinfo.show(root, commit, path)
    if raw is None:
        return None, f"not in `{ref}`"
    try:
        shown = f"{ref}:{path}"
        return parse_yaml(decode_bytes(raw, shown), Path(path), shown).data, ""
    except ProjectError as err:
        return None, f"unreadable in `{ref}`: {err.lines()[0]}"


def _file_section(path: str, before: dict | None, after: dict | None, ref: str, note: str) -> list[str]:
    changes = field_changes(before, after)
    if not changes:
        return []
    added = sum(old is ... for _, old, _ in changes)
    removed = sum(new is ... for _, _, new in changes)
    changed = len(changes) - added - removed
    tally = ", ".join(f"{n} {w}" for n, w in ((changed, "changed"), (added, "added"), (removed, "removed")) if n)
    head = f"**{path}** · {tally}" + (f" ({note})" if note else "")
    rows = [f"| `{p}` | {_shown(old)} | {_shown(new)} |" for p, old, new in changes]
    return [head, "", f"| field | `{ref}` | this branch |", "|---|---|---|", *rows, ""]


def spec_section(root: Path, commit: str, ref: str, docs: dict) -> list[str]:
    """Field-level changes of every spec and policy file."""
    lines = [f"### 📝 Changes since `{ref}` (`{commit[:10]}`)", ""]
    unchanged = []
    paths = [f"specs/{stem}.yaml" for stem in task_of_root(root).spec_kinds]
    current_policies = (
        {f"{POLICIES}/{p.name}" for p in policy_files(root / POLICIES)} if (root / POLICIES).is_dir() else set()
    )
    base_policies = {p for p in gitinfo.list_dir(root, commit, POLICIES) if p.endswith((".yaml", ".yml"))}
    paths += sorted(current_policies | base_policies)
    for path in paths:
        before, why = _yaml_at(root, commit, ref, path)
        stem = Path(path).stem
        if path.startswith("specs/") and stem in docs:
            after = docs[stem].data
        elif (root / path).is_file():
            after = parse_yaml(decode_bytes((root / path).read_bytes(), path), root / path, path).data
        else:
            after = None
        section = _file_section(path, before, after, ref, why if before is None else "")
        if section:
            lines += section
        else:
            unchanged.append(path)
    deployed = deploy_section(root, commit, ref)
    lines += deployed
    if len(unchanged) == len(paths) and not deployed:
        lines += ["No spec or policy field changes.", ""]
    elif unchanged:
        lines += ["Unchanged: " + ", ".join(unchanged), ""]
    return lines


def deploy_section(root: Path, commit: str, ref: str) -> list[str]:
    """Files under ``deploy/`` this branch changes: only the release workflow writes them (the gate holds them)."""
    lines = []
    for path in gitinfo.changed_since(root, commit, "deploy"):
        before_raw, after_path = gitinfo.show(root, commit, path), root / path
        before = after = None
        if path.endswith(".json"):
            before = _json_or_none(before_raw)
            after = _json_or_none(after_path.read_bytes() if after_path.is_file() else None)
        note = "written only by the release workflow; needs an owner's approval"
        if before is None and after is None:
            what = "removed" if not after_path.exists() else ("added" if before_raw is None else "changed")
            lines += [f"**{path}** · {what} ({note})", ""]
        else:
            lines += _file_section(path, before, after, ref, note) or [f"**{path}** · changed ({note})", ""]
    return lines


def _json_or_none(raw: bytes | None) -> dict | None:
    try:
        value = json.loads(raw) if raw is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def metrics_section(facts: dict) -> list[str]:
    """The run's headline metrics against production's."""
    from .facts import LOWER_IS_BETTER

    lines = [DIFF_METRICS_HEADING, ""]
    deltas, baseline = facts.get("deltas"), facts.get("baseline")
    if facts.get("metrics") is None:
        return lines + [f"No metrics: {facts['unavailable'].get('metrics')}.", ""]
    if not deltas:
        reason = facts["unavailable"].get("baseline", "no production baseline")
        test = facts["metrics"].get("test") or {}
        rows = [f"| {k} | {compact(v)} |" for k, v in test.items() if isinstance(v, (int, float)) and k != "rows"]
        return lines + [f"{reason[0].upper()}{reason[1:]}.", "", "| metric | this run |", "|---|---|", *rows, ""]
    lines += [
        f"Production: `{baseline['source']}`" + (f" (run `{baseline['run_id']}`)" if baseline.get("run_id") else ""),
        "",
        "| metric | production | this run | change |",
        "|---|---|---|---|",
    ]
    primary = deltas["primary_metric"]
    for name, d in sorted(deltas["metrics"].items(), key=lambda item: item[0] != primary):
        if abs(d["delta"]) < 5e-4:
            trend = "="
        else:
            trend = f"{d['delta']:+.3f} {ARROWS[(d['delta'] < 0) == (name in LOWER_IS_BETTER)]}"
        label = f"**{name}** (primary)" if name == primary else name
        lines.append(f"| {label} | {d['baseline']:.3f} | {d['current']:.3f} | {trend} |")
    return lines + [""]


def _status(result: Result | None) -> str:
    if result is None:
        return "—"
    if result.status == "fail":
        return "❌ fail" if result.blocking else "⚠️ warning"
    return {"pass": "✅ pass", "waived": "🟡 waived", "skipped": "⏭️ skipped", "error": "⛔ error"}[result.status]


def _base_pack(root: Path, commit: str, ref: str) -> tuple[PolicyPack | None, str]:
    try:
        return load_policies_at(root, commit, ref), ""
    except ProjectError as err:
        return None, f"the policies at `{ref}` do not load ({err.lines()[0]})"


def policy_section(project, pack, facts: dict, *, commit: str, ref: str, stage: str, now) -> list[str]:
    """The verdict on this run, and each rule whose result differs from the base."""
    from .gate import judge

    report = judge(project, pack, facts, stage=stage, now=now)
    verdict = "✅ **passes**" if report.passed else "⛔ is **blocked**"
    lines = ["### 🛡️ Policy results", "", f"At `{stage}` stage this run {verdict}: {report.summary()}.", ""]
    after = {r.id: r for r in report.results if r.id != "WAIVER-001"}
    base, why = _base_pack(project.root, commit, ref)
    if base is None:
        return lines + [f"Nothing to compare with: {why}.", ""]
    production = gitinfo.show(project.root, commit, PRODUCTION_FACTS)
    if production is not None:
        before_facts = {**json.loads(production), "stage": stage, "now": facts["now"]}
        compared = f"policies at `{ref}` on production's facts → this branch's policies on this run"
    else:
        before_facts = facts
        compared = f"policies at `{ref}` → this branch's policies, both on this run"
    results = evaluate(rules_for(base, stage), before_facts, root=project.root)
    apply_waivers(results, base, now, project.root)
    before = {r.id: r for r in results}
    changed = [i for i in sorted(before.keys() | after.keys()) if _status(before.get(i)) != _status(after.get(i))]
    if not changed:
        lines += [f"No result changes ({compared}).", ""]
    else:
        lines += [f"Results that change ({compared}):", "", "| rule | before | after | now |", "|---|---|---|---|"]
        for rule_id in changed:
            now_result = after.get(rule_id) or before[rule_id]
            lines.append(
                f"| **{rule_id}** {cell(now_result.title)} | {_status(before.get(rule_id))} | "
                f"{_status(after.get(rule_id))} | {cell(now_result.message)} |"
            )
        lines.append("")
    return lines  # what fails now is the gate report's to list


def run(args: argparse.Namespace) -> int:
    from ..specs.project import find_root
    from ..training.runs import resolve_run
    from .facts import build_facts
    from .gate import load_inputs, parse_now

    root = args.project.resolve() if args.project else find_root()
    now = parse_now(args.now)
    commit = gitinfo.resolve(root, args.base)
    project, pack = load_inputs(root)
    lines = [MARKER, f"## Change report: `{project.model.name}` against `{args.base}` · `{args.stage}` stage", ""]
    lines += spec_section(root, commit, args.base, project.docs)
    try:
        run_dir = resolve_run(root, args.run)
    except ProjectError as err:
        lines += ["### 📊 Metrics and 🛡️ policy results", "", f"Not compared: {err.lines()[0]}.", ""]
    else:
        baseline, from_git = (args.baseline, False) if args.baseline else (args.base, True)
        facts = build_facts(
            project, pack, run_dir, stage=args.stage, now=now, baseline=baseline, baseline_from_git=from_git
        )
        lines += metrics_section(facts)
        lines += policy_section(project, pack, facts, commit=commit, ref=args.base, stage=args.stage, now=now)
    text = "\n".join(lines).rstrip() + "\n"
    if args.out is not None:
        atomic_write_text(args.out, text)
    print(text, end="")
    return 0
