"""Finish a baked project: copy the shared schemas and policies in, keep only the chosen license,
then print the next steps (the quickstart block of the baked README, so both say the same)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
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


def next_steps(project: Path, ctx: dict, cwd: str | None = None) -> str:
    """What to type next: the README's quickstart, its ``cd`` pointing at ``project`` from ``cwd``."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart:start -->\n```bash\n(.*?)```\n<!-- quickstart:end -->", readme, re.S)
    lines = block.group(1).splitlines() if block else []
    where = project
    if cwd:
        with contextlib.suppress(ValueError):  # not below cwd: keep the absolute path
            where = project.resolve().relative_to(Path(cwd).resolve())
    lines = [f"cd {shlex.quote(str(where))}" if line.startswith("cd ") else line for line in lines]
    head = f"Baked {ctx['project_name']} into {where}. Next steps (also in its README.md):"
    return "\n".join([head, "", *(f"  {line}" for line in lines), ""])


if __name__ == "__main__":
    finish(Path.cwd(), Path(json.loads(r'''{{ template_repo | tojson }}''')), CONTEXT)  # fmt: skip
    # template updates: record the template's source, commit and answers in .cruft.json
    hooks = Path(json.loads(r'''{{ template_repo | tojson }}''')) / "hooks"  # fmt: skip
    sys.path.insert(0, str(hooks))
    from cruft_record import record_origin  # hooks/cruft_record.py

    record_origin(Path.cwd(), hooks.parent, CONTEXT)
    print(next_steps(Path.cwd(), CONTEXT, os.environ.get("PWD")))
