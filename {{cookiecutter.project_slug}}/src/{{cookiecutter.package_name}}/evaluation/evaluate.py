"""``evaluate``: measure a trained run as ``specs/evaluation.yaml`` asks, and write the results into it.

What is measured and written is the task's (see ``tasks``; ``report.md`` and ``metrics.json`` in
``artifacts/<run-id>/`` for every task). The sha256 of every file it wrote goes into ``run.json``
(see ``chain``); a run whose files changed after ``train`` wrote them is refused (exit 2).
"""

from __future__ import annotations

import argparse
import json

from ..specs.project import find_root, load_project
from ..training import chain
from ..training.runs import resolve_run

REPORT = "report.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", default=None, metavar="ID", help="run to evaluate (default: artifacts/latest)")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    project = load_project(root)
    run_dir = resolve_run(root, args.run)
    chain.verify_run(run_dir, root, steps=("train",))  # the model is the one train wrote
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    done = project.task.module("evaluate").evaluate(project, run_dir, record)
    chain.record(run_dir, "evaluate", done.files)
    print(f"evaluated run {record['run_id']}: {done.summary}")
    print(f"report: {run_dir / REPORT}")
    return 0
