"""``schemas``: write the JSON Schemas of the specs, policy files, ``metrics.json`` and ``facts.json``.

Run it after changing a spec or policy model so editors and CI see the new contract.
"""

from __future__ import annotations

import argparse

from .project import find_root
from .schema import write_schemas


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="directory to write to (default: <project>/schemas)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..tasks import task_of_root

    root = args.project or find_root()
    out = Path(args.out) if args.out else root / "schemas"
    for path in write_schemas(out, task_of_root(root)):
        print(f"wrote {path}")
    return 0
