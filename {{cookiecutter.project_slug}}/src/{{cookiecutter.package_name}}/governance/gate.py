"""``gate``: apply every policy of a stage to a run, and explain the decision.

Builds the policy input document (``facts.json``), evaluates the rules of ``policies/`` at the
stage, applies ``policies/waivers.yaml``, prints a summary and writes into the run directory:
``facts.json``, ``gate.md`` (the PR comment), ``gate.sarif`` (GitHub code scanning),
``gate.junit.xml`` and, last, ``gate.json`` (the decision ``build`` trusts, sealed, with the
sha256 of the run files it judged and the reports it wrote). Each file is replaced atomically.
Exits 0 when the run passes, 1 when it is blocked, and 2 when a spec, a policy file or a waiver
file is invalid, or a file of the run changed after ``train`` or ``evaluate`` wrote it (nothing
is written then).

With ``--policy-ref REF`` (pull requests; CI passes the base branch) the policies, governance,
waivers and production baseline come from ``REF``, read with git: the change under review cannot
loosen the rules that judge it. Its own policies are evaluated too and reported as "after merge",
and each change it makes to them (or to ``deploy/``) blocks until an approver of ``REF`` approves
it (``--approvals``, ``--head-sha``; see ``policy/trust.py``). At release the merged branch's
policies are the trusted ones: the working tree is read, and ``--policy-ref`` is refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from .. import __version__, gitinfo
from ..errors import EXIT_BLOCKED, EXIT_OK, Problem, ProjectError
from ..files import atomic_write_text
from ..specs.project import Project, find_root, load_project
from ..training import chain
from ..training.runs import resolve_run
from .policy.approvals import Approvals, load_approvals
from .policy.engine import Result, evaluate, relative, rules_for
from .policy.models import STAGES
from .policy.pack import POLICIES, PolicyPack, load_policies, load_policies_at
from .policy.trust import Trust, compare
from .policy.verdict import GateReport
from .policy.waivers import apply_waivers

TOOL = "policy-gate"
OUTPUTS = ("facts.json", "gate.md", "gate.sarif", "gate.junit.xml", "gate.json")
LABELS = {"error": "ERROR", "fail": "FAIL", "waived": "WAIVED", "skipped": "SKIP", "pass": "ok"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stage",
        required=True,
        choices=STAGES,
        help="pr: a pull request; release: a merge to main; monitor: the drift of the served model (drift.json)",
    )
    parser.add_argument(
        "--drift",
        type=Path,
        default=None,
        help="monitor stage: the drift.json to judge (default: artifacts/monitoring/drift.json); "
        "the reports go next to it",
    )
    parser.add_argument(
        "--baseline",
        metavar="PATH|REF",
        default=None,
        help="production metrics: a metrics.json, or a git ref whose deploy/production/metrics.json is read "
        "(default: deploy/production/metrics.json when present)",
    )
    parser.add_argument("--run", default=None, help="run id (default: the latest run)")
    parser.add_argument("--now", default=None, help="evaluate as of this ISO time (tests, replays); default: now")
    parser.add_argument(
        "--policy-ref",
        metavar="REF",
        default=None,
        help="pr stage: judge with the policies, governance, waivers and production baseline committed at this "
        "git revision (CI: origin/<base branch>); this tree's changes to them need an approval",
    )
    parser.add_argument(
        "--approvals",
        metavar="FILE",
        type=Path,
        default=None,
        help="the pull request's reviews as GitHub's API returns them (GET /repos/{owner}/{repo}/pulls/{n}/reviews)",
    )
    parser.add_argument(
        "--head-sha", metavar="SHA", default=None, help="the pull request's head commit (with --approvals)"
    )


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


def judge(
    project: Project, pack: PolicyPack, facts: dict, *, stage: str, now: dt.datetime, trust: Trust | None = None
) -> GateReport:
    """Evaluate the stage's rules and the waivers against ``facts``; with ``trust``, its findings too."""
    started = time.perf_counter()
    entries = rules_for(pack, stage)
    results: list[Result] = evaluate(entries, facts, root=project.root, spec_docs=project.docs)
    results += apply_waivers(results, pack, now, project.root)
    if trust is not None:
        results += trust.findings()
    return GateReport(
        run_id=facts["run"]["id"],
        stage=stage,
        evaluated_at=facts["now"],
        policy_hash=pack.hash,
        results=results,
        rules=[e.rule for e in entries],
        took_ms=(time.perf_counter() - started) * 1000,
        trust=trust.to_json() if trust is not None else None,
    )


def trust_from(args: argparse.Namespace, root: Path, head: PolicyPack) -> Trust | None:
    """The base's policies and the approvals, when ``--policy-ref`` is given; exits 2 on a misuse."""
    if args.policy_ref is None:
        if args.approvals is not None:
            raise ProjectError("--approvals needs --policy-ref (the base branch whose approvers count)")
        return None
    if args.stage != "pr":
        raise ProjectError(
            "--policy-ref is for --stage pr; at release the merged branch's policies are the trusted ones"
        )
    commit = gitinfo.resolve(root, args.policy_ref)
    base = load_policies_at(root, commit, args.policy_ref)
    if args.approvals is not None:
        approvals = load_approvals(args.approvals, args.head_sha or "")
    elif args.head_sha is not None:
        raise ProjectError("--head-sha goes with --approvals (the reviews to check at that commit)")
    else:
        approvals = Approvals()
    return compare(root, args.policy_ref, commit, base, head, approvals)


def after_merge(project: Project, pack: PolicyPack, facts: dict, *, stage: str, now: dt.datetime) -> GateReport:
    """This tree's own policies on the same run: what the gate will say once the change is merged."""
    from .facts import with_governance

    return judge(project, pack, with_governance(facts, project, pack), stage=stage, now=now)


def console(report: GateReport) -> str:
    """The summary printed by ``gate``: every result that did not plainly pass, then the verdict."""
    lines = [f"gate {report.stage} for run {report.run_id}"]
    for r in report.results:
        if r.status == "pass":
            continue
        label = "WARN" if r.status == "fail" and not r.blocking else LABELS[r.status]
        label = "PENDING" if r.pending else label
        where = f"  ({r.location.path}:{r.location.line}:{r.location.col})" if r.location else ""
        lines.append(f"  {label:<6} {r.id:<10} {r.title}: {r.message}{where}")
    verdict = "PASSED" if report.passed else "BLOCKED"
    lines.append(f"{verdict}: {report.summary()} ({report.took_ms:.0f} ms)")
    if report.trust is not None:
        lines.insert(1, f"  policies, waivers and baseline from {report.trust['ref']} ({report.trust['commit'][:12]})")
    if report.after_merge is not None:
        merged = report.after_merge
        state = "would pass" if merged.passed else "would be blocked"
        lines.append(f"after merge (this change's policies): {state}: {merged.summary()}")
        mine = {r.id: r.status for r in report.results}
        for r in merged.results:
            if r.status != mine.get(r.id) and r.status != "pass":
                lines.append(f"  {LABELS[r.status]:<6} {r.id:<10} {r.title}: {r.message}")
    return "\n".join(lines)


def write_reports(report: GateReport, facts: dict, out: Path, root: Path, gate_text) -> None:
    """Write the gate's files into ``out``; ``gate_text`` turns the other texts into gate.json's."""
    from .policy.junit import to_junit
    from .policy.markdown import gate_markdown
    from .policy.sarif import to_sarif

    sarif = to_sarif(report, tool=TOOL, version=__version__, uri_prefix=gitinfo.prefix(root))
    texts = {
        "facts.json": json.dumps(facts, indent=2, ensure_ascii=False) + "\n",
        "gate.md": gate_markdown(report),
        "gate.sarif": json.dumps(sarif, indent=2, ensure_ascii=False) + "\n",
        "gate.junit.xml": to_junit(report),
    }
    texts["gate.json"] = gate_text(texts)
    for name in OUTPUTS:
        atomic_write_text(out / name, texts[name])


def monitor(args: argparse.Namespace, root: Path, project: Project, pack: PolicyPack, now: dt.datetime) -> int:
    """The monitor stage: judge ``drift.json`` and write the reports next to it."""
    from ..monitoring.drift import DRIFT, OUT
    from ..monitoring.facts import monitor_facts, read_drift

    if args.run is not None or args.baseline is not None:
        raise ProjectError("--run and --baseline are for the pr and release stages; the monitor stage reads --drift")
    path = args.drift if args.drift is not None else root / OUT / DRIFT
    facts = monitor_facts(project, pack, read_drift(path, relative(path, root)), now=now)
    report = judge(project, pack, facts, stage="monitor", now=now)
    write_reports(report, facts, path.parent, root, lambda texts: json.dumps(report.to_json(), indent=2) + "\n")
    print(console(report))
    print(f"wrote {', '.join(OUTPUTS)} in {relative(path.parent, root)}")
    return EXIT_OK if report.passed else EXIT_BLOCKED


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    now = parse_now(args.now)
    project, head = load_inputs(root)
    trust = trust_from(args, root, head)
    if args.stage == "monitor":
        return monitor(args, root, project, head, now)
    pack = trust.judging_pack() if trust is not None else head
    baseline = args.baseline or (args.policy_ref if trust is not None else None)
    run_dir = resolve_run(root, args.run)
    judged = chain.verify_run(run_dir, root)  # exit 2 when a file changed after train or evaluate wrote it
    from .facts import build_facts

    facts = build_facts(
        project,
        pack,
        run_dir,
        stage=args.stage,
        now=now,
        baseline=baseline,
        baseline_from_git=trust is not None and not args.baseline,
    )
    report = judge(project, pack, facts, stage=args.stage, now=now, trust=trust)
    if trust is not None:
        report.after_merge = after_merge(project, head, facts, stage=args.stage, now=now)
    write_reports(report, facts, run_dir, root, lambda texts: chain.gate_text(report.to_json(), judged, texts))
    print(console(report))
    print(f"wrote {', '.join(OUTPUTS)} in {relative(run_dir, root)}")
    return EXIT_OK if report.passed else EXIT_BLOCKED
