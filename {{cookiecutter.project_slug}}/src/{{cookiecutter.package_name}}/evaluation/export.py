"""``export promptfoo [--url URL] [--out FILE]``: the golden set as another tool's configuration.

``promptfoo`` writes ``promptfooconfig.yaml``: the golden cases of ``specs/evaluation.yaml`` with
their assertions, the prompts of ``specs/prompts.yaml`` and a provider that calls the served API
(``serve``, by default on http://127.0.0.1:3000), so ``npx promptfoo eval`` runs the same cases.
Only a task with a golden set of generated text can export it; others exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ProjectError
from ..files import atomic_write_text
from ..specs.project import find_root, load_project

#: format -> (the task module that writes it, default output file)
FORMATS = {"promptfoo": ("promptfoo", "promptfooconfig.yaml")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=sorted(FORMATS), help="what to write")
    parser.add_argument(
        "--url", default="http://127.0.0.1:3000", help="base URL of the served model (default: %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=None, help="file to write (default: promptfooconfig.yaml)")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    project = load_project(root, check_data=False)
    concern, default_out = FORMATS[args.format]
    try:
        module = project.task.module(concern)
    except ModuleNotFoundError as err:
        if not (err.name or "").endswith(f".{project.task.package}.{concern}"):
            raise  # a missing dependency of the module, not a task without the format
        raise ProjectError(
            f"`export {args.format}` needs a project with a golden set of generated text; "
            f"this project's task is {project.task.name}"
        ) from None
    out = args.out or root / default_out
    atomic_write_text(out, module.export(project, args.url))
    print(f"wrote {out}")
    return 0
