"""``drift``: compare a window of the prediction log with the reference, and write ``drift.json``.

    drift [--logs URL] [--since TIME|7d] [--out DIR] [--reference PATH]
    drift --save-reference [--run ID] [--reference PATH]

Reads the prediction log (``--logs``, else ``logs`` of specs/monitoring.yaml, else where
specs/deployment.yaml ships it) as a stream, keeps the records of the window (``--since``, else
the spec's ``window.days`` before now), and compares them with the reference profile
(``reference.file``): predicted-label PSI, confidence PSI, input-length KS, the rise of words
missing from the vocabulary, prediction volume and error rate; for text generation also output
length KS and watcher-check rates. Unreadable lines are counted and located, never skipped
silently. Writes ``drift.json`` (``schemas/drift.schema.json``), ``drift.md`` and PNG plots into
``--out`` (default ``artifacts/monitoring``), then prints each check. ``gate --stage monitor``
judges the file. Exits 0 once written (the gate decides), 2 on bad input.

``--save-reference`` builds the reference profile from a run instead (see ``reference``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

from ..errors import ProjectError, printable
from ..files import atomic_write_text
from ..specs.project import Project, find_root, load_project

OUT = "artifacts/monitoring"
DRIFT = "drift.json"
REPORT = "drift.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logs", metavar="URL", default=None, help="fsspec URL or directory of the prediction log")
    parser.add_argument(
        "--since", metavar="TIME", default=None, help="start of the window: an ISO time, or a span such as 7d or 12h"
    )
    parser.add_argument("--now", default=None, help="end of the window as an ISO time (tests, replays); default: now")
    parser.add_argument("--out", type=Path, default=None, help=f"output directory (default: {OUT})")
    parser.add_argument("--reference", type=Path, default=None, help="reference profile (default: reference.file)")
    parser.add_argument(
        "--save-reference", action="store_true", help="build the reference profile from --run and write it; no drift"
    )
    parser.add_argument("--run", default=None, help="with --save-reference: the run (default: the latest)")


def parse_since(text: str | None, now: dt.datetime, days: int) -> dt.datetime:
    """The window's start: an ISO time, a span back from ``now`` (``30m``, ``12h``, ``7d``), or ``days`` back."""
    if text is None:
        return now - dt.timedelta(days=days)
    span = re.fullmatch(r"(\d{1,6})([mhd])", text.strip())
    if span:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[span.group(2)]
        return now - dt.timedelta(**{unit: int(span.group(1))})
    from ..governance.gate import parse_now

    try:
        return parse_now(text)
    except ProjectError:
        raise ProjectError(f"--since {text!r} is neither an ISO time nor a span such as 30m, 12h or 7d") from None


def logs_url(project: Project, given: str | None) -> str:
    """The logs URL: ``--logs``, the monitoring spec's, or the deployment's; a plain path is read from the project."""
    url = given or project.specs["monitoring"].logs or project.deployment.service.prediction_log.url
    if "://" in url or Path(url).is_absolute():
        return url
    return str(project.root / url)


def reference_path(project: Project, given: Path | None) -> tuple[Path, str]:
    """The reference profile's path (``--reference``, else the spec's ``reference.file``) and how it is shown."""
    if given is not None:
        return given, str(given)
    file = project.specs["monitoring"].reference.file
    return project.root / file, file


def save_reference(project: Project, run_id: str | None, path: Path, shown: str) -> None:
    """Build the reference profile of a run (default: the latest) and write it to ``path``."""
    from ..training import chain
    from ..training.runs import resolve_run
    from .reference import build, save

    run_dir = resolve_run(project.root, run_id)
    chain.verify_run(run_dir, project.root, steps=("train",))  # the model is the one train wrote
    profile = build(project, run_dir)
    save(profile, path)
    print(f"wrote the reference profile of run {profile.run_id} to {shown}")


def run(args: argparse.Namespace) -> int:
    from ..governance.gate import parse_now

    root = args.project.resolve() if args.project else find_root()
    project = load_project(root, check_data=args.save_reference)
    path, shown = reference_path(project, args.reference)
    if args.save_reference:
        save_reference(project, args.run, path, shown)
        return 0
    from .measure import measure
    from .reference import load
    from .report import write_report

    now = parse_now(args.now)
    since = parse_since(args.since, now, project.specs["monitoring"].window.days)
    report = measure(project, load(path, shown), logs_url(project, args.logs), since, now, shown)
    out = args.out if args.out is not None else root / OUT
    write_report(out, report)
    atomic_write_text(out / DRIFT, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(console(report))
    print(f"wrote {DRIFT}, {REPORT} and plots in {out}")
    return 0


def console(report: dict) -> str:
    """Each check on one line, then where the unreadable lines are."""
    p, lines = report["predictions"], report["lines"]
    out = [
        f"drift of {p['count']} predictions since {report['since']} (reference: run {report['reference']['run_id']})"
    ]
    for name, c in report["checks"].items():
        state = {True: "EXCEEDED", False: "ok", None: "n/a"}[c["exceeded"]]
        value = "n/a" if c["value"] is None else f"{c['value']:g}"
        out.append(f"  {state:<8} {name:<28} {value} (limit {c['limit']:g})")
    if lines["unreadable"]:
        kinds = ", ".join(f"{n} {k}" for k, n in lines["by_kind"].items() if n)
        out.append(f"  {lines['unreadable']} unreadable lines of {lines['total']} ({kinds}):")
        out += [f"    {x['file']}:{x['line']}: {x['kind']}: {x['detail']}" for x in lines["located"][:5]]
    return "\n".join(printable(line) for line in out)
