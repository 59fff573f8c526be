"""``gate``: apply every policy of a stage to a run, and explain the decision.

Builds the policy input document (``facts.json``), evaluates the rules of ``policies/`` at the
stage, applies ``policies/waivers.yaml``, prints a summary and writes into the run directory:
``facts.json``, ``gate.md`` (the PR comment), ``gate.sarif`` (GitHub code scanning),
``gate.junit.xml`` and, last, ``gate.json`` (the decision ``build`` trusts, sealed, with the
sha256 of the run files it judged and the reports it wrote). Each file is replaced atomically.
Exits 0 when the run passes, 1 when it is blocked, and 2 when a spec, a policy file or a waiver
file is invalid, or a file of the run changed after ``train`` or ``evaluate`` wrote it (nothing
is written then).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from . import __version__, chain, gitinfo
from .errors import EXIT_BLOCKED, EXIT_OK, Problem, ProjectError
from .files import atomic_write_text
from .policy.engine import Result, evaluate, relative, rules_for
from .policy.models import STAGES
from .policy.pack import POLICIES, PolicyPack, load_policies
from .policy.verdict import GateReport
from .policy.waivers import apply_waivers
from .runs import resolve_run
from .specs.project import Project, find_root, load_project

TOOL = "policy-gate"
OUTPUTS = ("facts.json", "gate.md", "gate.sarif", "gate.junit.xml", "gate.json")
LABELS = {"error": "ERROR", "fail": "FAIL", "waived": "WAIVED", "skipped": "SKIP", "pass": "ok"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, choices=STAGES, help="pr: a pull request; release: a merge to main")
    parser.add_argument(
        "--baseline",
        metavar="PATH|REF",
        default=None,
        help="production metrics: a metrics.json, or a git ref whose deploy/production/metrics.json is read "
        "(default: deploy/production/metrics.json when present)",
    )
    parser.add_argument("--run", default=None, help="run id (default: the latest run)")
    parser.add_argument("--now", default=None, help="evaluate as of this ISO time (tests, replays); default: now")


def parse_now(text: str | None) -> dt.datetime:
    """``--now`` as an aware UTC datetime; a date or naive time is read as UTC. Exits 2 when malformed."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        example = "e.g. 2026-11-23 or 2026-11-23T09:00:00Z"
        raise ProjectError(f"--now {text!r} is not an ISO date or time ({example})") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def load_inputs(root: Path) -> tuple[Project, PolicyPack]:
    """The project's specs and policies, with every problem of both in one ``ProjectError``."""
    problems: list[Problem] = []
    project = pack = None
    try:
        project = load_project(root)
    except ProjectError as err:
        problems += err.problems
    try:
        pack = load_policies(root / POLICIES)
    except ProjectError as err:
        problems += err.problems
    if problems:
        raise ProjectError(problems)
    return project, pack


def judge(project: Project, pack: PolicyPack, facts: dict, *, stage: str, now: dt.datetime) -> GateReport:
    """Evaluate the stage's rules and the waivers against ``facts``."""
    started = time.perf_counter()
    entries = rules_for(pack, stage)
    results: list[Result] = evaluate(entries, facts, root=project.root, spec_docs=project.docs)
    results += apply_waivers(results, pack, now, project.root)
    return GateReport(
        run_id=facts["run"]["id"],
        stage=stage,
        evaluated_at=facts["now"],
        policy_hash=pack.hash,
        results=results,
        rules=[e.rule for e in entries],
        took_ms=(time.perf_counter() - started) * 1000,
    )


def console(report: GateReport) -> str:
    """The summary printed by ``gate``: every result that did not plainly pass, then the verdict."""
    lines = [f"gate {report.stage} for run {report.run_id}"]
    for r in report.results:
        if r.status == "pass":
            continue
        label = "WARN" if r.status == "fail" and not r.blocking else LABELS[r.status]
        where = f"  ({r.location.path}:{r.location.line}:{r.location.col})" if r.location else ""
        lines.append(f"  {label:<6} {r.id:<10} {r.title}: {r.message}{where}")
    verdict = "PASSED" if report.passed else "BLOCKED"
    lines.append(f"{verdict}: {report.summary()} ({report.took_ms:.0f} ms)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    now = parse_now(args.now)
    project, pack = load_inputs(root)
    run_dir = resolve_run(root, args.run)
    judged = chain.verify_run(run_dir, root)  # exit 2 when a file changed after train or evaluate wrote it
    from .facts import build_facts
    from .policy.junit import to_junit
    from .policy.markdown import gate_markdown
    from .policy.sarif import to_sarif

    facts = build_facts(project, pack, run_dir, stage=args.stage, now=now, baseline=args.baseline)
    report = judge(project, pack, facts, stage=args.stage, now=now)
    sarif = to_sarif(report, tool=TOOL, version=__version__, uri_prefix=gitinfo.prefix(root))
    texts = {
        "facts.json": json.dumps(facts, indent=2, ensure_ascii=False) + "\n",
        "gate.md": gate_markdown(report),
        "gate.sarif": json.dumps(sarif, indent=2, ensure_ascii=False) + "\n",
        "gate.junit.xml": to_junit(report),
    }
    texts["gate.json"] = chain.gate_text(report.to_json(), judged, texts)  # with the hashes it judged
    for name in OUTPUTS:
        atomic_write_text(run_dir / name, texts[name])
    print(console(report))
    print(f"wrote {', '.join(OUTPUTS)} in {relative(run_dir, root)}")
    return EXIT_OK if report.passed else EXIT_BLOCKED
