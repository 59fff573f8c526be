"""Finish a baked project: copy the shared schemas and policies in, keep only the chosen license."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip

#: top-level folders of the template repository copied into every project (one source of truth)
SHARED_DIRS = ("schemas", "policies")


def finish(project: Path, repo: Path, ctx: dict) -> None:
    """Copy ``SHARED_DIRS`` from the template repo and install the chosen license as LICENSE."""
    for name in SHARED_DIRS:
        source = repo / name
        if source.is_dir():
            shutil.copytree(
                source, project / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
    licenses = project / "_licenses"
    (licenses / ctx["license"]).replace(project / "LICENSE")
    shutil.rmtree(licenses)


if __name__ == "__main__":
    finish(Path.cwd(), Path(json.loads(r'''{{ template_repo | tojson }}''')), CONTEXT)  # fmt: skip
    # template updates: record the template's source, commit and answers in .cruft.json
    hooks = Path(json.loads(r'''{{ template_repo | tojson }}''')) / "hooks"  # fmt: skip
    sys.path.insert(0, str(hooks))
    from cruft_record import record_origin  # hooks/cruft_record.py

    record_origin(Path.cwd(), hooks.parent, CONTEXT)
