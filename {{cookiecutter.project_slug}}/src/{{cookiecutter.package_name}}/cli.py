"""The command line: one subcommand per step of the loop.

Each subcommand lives in a module of its name, in the package of its stage (specs, training,
evaluation, governance, serving, monitoring), and is imported only when it runs, so ``--help`` and
``validate`` stay fast. Bad input exits 2 with one line per problem, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .errors import ProjectError

#: subcommand -> (module, one-line help)
COMMANDS = {
    "validate": ("specs.validate", "check every spec and the cross-spec rules (exit 2 when invalid)"),
    "pin-data": ("specs.pin", "re-pin the sha256 of each data file and of a local base model after an intended change"),
    "migrate": ("specs.migrate", "rewrite specs and policies of an older apiVersion into this release's format"),
    "schemas": ("specs.schemas", "write the JSON Schemas of the specs, policy files and facts.json into schemas/"),
    "train": (
        "training.train",
        "train the model of specs/model.yaml into artifacts/<run-id>/ (exit 2 on bad input)",
    ),
    "evaluate": (
        "evaluation.evaluate",
        "write metrics.json, report.md and plots into a run (default: latest)",
    ),
    "export": ("evaluation.export", "write the golden set as another tool's configuration (promptfoo)"),
    "gate": ("governance.gate", "apply the policies to a run: exit 0 pass, 1 blocked, 2 invalid specs or policies"),
    "card": ("governance.card", "write MODEL_CARD.md (Hugging Face format) for a run from the specs and metrics"),
    "diff": ("governance.diff", "what a change does, as one Markdown comment: spec fields, metrics, policy results"),
    "build": ("serving.build", "package a run that passed the release gate as a BentoML bento (exit 1 if not)"),
    "serve": ("serving.serve", "serve a run's model locally over HTTP with BentoML"),
    "render": ("serving.render", "write an environment's desired state into deploy/<env>/ from the latest build"),
    "drift": (
        "monitoring.drift",
        "compare a window of the prediction log with the reference; write drift.json for `gate --stage monitor`",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    prog = f"python -m {__package__}" if sys.argv[0].endswith("__main__.py") else Path(sys.argv[0]).name
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=None, help="project root (default: the nearest directory with specs/)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(f".{module}", __package__).add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and return its exit code."""
    args = build_parser().parse_args(argv)
    module = importlib.import_module(f".{COMMANDS[args.command][0]}", __package__)
    try:
        return int(module.run(args) or 0)
    except ProjectError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        if len(err.problems) > 1:
            print(f"{len(err.problems)} problems", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
