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
#: the task a project gets when nothing is chosen; its files are the template's own tree
DEFAULT_TASK = "text-classification"
#: task -> its package below ``src/<package>/tasks/`` (a project keeps its own task's only)
TASK_PACKAGES = {"text-classification": "classification", "text-generation": "generation"}
#: where the task's table of rules goes in policies/README.md
TASK_RULES = "<!-- task rules -->"
#: the folder of task overlays: ``_tasks/<task>/`` mirrors the project and is copied over it
OVERLAYS = "_tasks"
#: the README sections both tasks' READMEs include with Jinja's include tag; removed once rendered
README_PARTS = "_readme"
#: paths (relative to the project) that only a project of the default task has; removed from the others
#: before the overlay is copied in (what the overlay brings back under the same name replaces it)
DEFAULT_TASK_ONLY = (
    "data",
    "examples",
    *(f"benchmarks/{name}.py" for name in ("gate_speed", "serve_memory", "serve_throughput", "train_speed")),
    "benchmarks/drift_speed.py",
    "tests/drift_logs.py",
    "tests/fixtures",
    "tests/corpora",
    "tests/runfixtures.py",
    "tests/tiny_run.py",
    "tests/planted_pii.py",
    *(
        f"tests/test_{name}.py"
        for name in (
            "build",
            "card",
            "chain",
            "comment",
            "data",
            "datafacts",
            "default_policies",
            "diff",
            "drift",
            "evaluate",
            "facts",
            "gate",
            "hostile_inputs",
            "leakage",
            "localbase",
            "metrics",
            "migrate",
            "modeling",
            "perturb",
            "reader_fuzz",
            "readme",
            "render",
            "serve",
            "service",
            "train",
            "train_faults",
            "trust",
            "validate",
            "waivers",
        )
    ),
)


def finish(project: Path, repo: Path, ctx: dict) -> None:
    """Copy ``SHARED_DIRS`` from the template repo, lay the chosen task's files over the project and
    install the chosen license as LICENSE."""
    for name in SHARED_DIRS:
        source = repo / name
        if source.is_dir():
            shutil.copytree(
                source,
                project / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tasks"),
            )
    apply_task(project, repo, ctx["task"], ctx["package_name"])
    licenses = project / "_licenses"
    (licenses / ctx["license"]).replace(project / "LICENSE")
    shutil.rmtree(licenses)
    shutil.rmtree(project / README_PARTS)


def apply_task(project: Path, repo: Path, task: str, package: str) -> None:
    """Keep only ``task``'s files: its package, schemas, default policy rules (and their table in
    policies/README.md) and, for a task other than the default, its overlay copied over the project in
    place of ``DEFAULT_TASK_ONLY``."""
    if task != DEFAULT_TASK:
        for relative in DEFAULT_TASK_ONLY:
            path = project / relative
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        shutil.copytree(project / OVERLAYS / task, project, dirs_exist_ok=True)
        for schema in (project / "schemas").glob("*.schema.json"):  # the task has its own set
            schema.unlink()
        for schema in (repo / "schemas" / "tasks" / task).glob("*.schema.json"):
            shutil.copy2(schema, project / "schemas" / schema.name)
    shutil.rmtree(project / OVERLAYS)
    rules = repo / "policies" / "tasks" / f"{task}.yaml"
    shutil.copy2(rules, project / "policies" / rules.name)
    readme = project / "policies" / "README.md"
    table = (repo / "policies" / "tasks" / f"{task}.md").read_text(encoding="utf-8").strip()
    readme.write_text(readme.read_text(encoding="utf-8").replace(TASK_RULES, table), encoding="utf-8")
    for other, name in TASK_PACKAGES.items():
        if other != task:
            shutil.rmtree(project / "src" / package / "tasks" / name, ignore_errors=True)


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
