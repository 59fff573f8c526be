"""``validate``: check every spec file, the rules between specs and the data files, and the policy files.

Exits 0 when everything is valid and 2 otherwise, printing every problem of every file as
``path:line:col: field: message``. Imports neither torch, transformers nor bentoml.
"""

from __future__ import annotations

import argparse
import time

from ..errors import Problem, ProjectError
from ..governance.policy.pack import POLICIES, load_policies
from .conflicts import unresolved_updates
from .project import find_root, load_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-data", action="store_true", help="do not hash the data files (a quick edit check)")
    parser.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="github: also print workflow annotations that GitHub shows on the diff",
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    root = args.project.resolve() if args.project else find_root()
    problems: list[Problem] = unresolved_updates(root)  # conflict markers and .rej files of a template update
    project = pack = None
    try:
        project = load_project(root, check_data=not args.skip_data)
    except ProjectError as err:
        problems += err.problems
    if (root / POLICIES).is_dir():
        try:
            pack = load_policies(root / POLICIES)
        except ProjectError as err:
            problems += err.problems
    if problems:
        if args.format == "github":
            for p in problems:
                print(p.annotation())
        raise ProjectError(problems)
    took = time.perf_counter() - started
    for stem, spec in project.specs.items():
        print(f"ok  specs/{stem}.yaml  {spec.kind}")
    if pack is not None:
        print(f"ok  {POLICIES}/  {len(pack.rules)} rules, {len(pack.waivers)} waivers, {len(pack.files)} files")
    hashed = "" if args.skip_data else ", data hashes match"
    print(f"valid: {len(project.specs)} specs, cross-spec checks passed{hashed} ({took * 1000:.0f} ms)")
    return 0
