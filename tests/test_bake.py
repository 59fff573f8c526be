"""Bake the template with every option value and check what comes out."""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import BIN, REPO, bake, cli, run_in

JINJA = re.compile(r"(?<!\$)\{\{|\{%")

DEFAULT_FILES = {
    ".github/CODEOWNERS",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "data/golden.jsonl",
    "data/test.jsonl",
    "data/train.jsonl",
    "data/validation.jsonl",
    "specs/data.yaml",
    "specs/deployment.yaml",
    "specs/evaluation.yaml",
    "specs/model.yaml",
}


def _options() -> dict:
    import json

    return json.loads((REPO / "cookiecutter.json").read_text())


def _matrix() -> list[dict]:
    """Each choice option cycles through its values, so every value is baked at least once."""
    choices = {k: v for k, v in _options().items() if isinstance(v, list)}
    width = max(len(v) for v in choices.values())
    rows = [{k: v[i % len(v)] for k, v in choices.items()} for i in range(width)]
    free = [
        {"project_name": "Fraud Scorer", "owner": "globex", "gpu_runner_label": "self-hosted-a100"},
        {"project_name": "Churn Model", "package_name": "churn", "description": "Predicts churn."},
        {"project_name": "Intent Detector", "project_slug": "intents", "package_name": "intent_detector"},
        {"project_name": "Ticket Router"},
    ]
    return [{**row, **free[i % len(free)]} for i, row in enumerate(rows)]


def _files(project: Path) -> set[str]:
    return {
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".pytest_cache" not in p.parts
    }


def _hook_manifest() -> dict:
    """The upper-case constants of hooks/post_gen_project.py (which files each task keeps), evaluated."""
    tree = ast.parse((REPO / "hooks" / "post_gen_project.py").read_text())
    names = ("SHARED_DIRS", "DEFAULT_TASK", "TASK_PACKAGES", "OVERLAYS", "README_PARTS", "DEFAULT_TASK_ONLY")
    body = [node for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id in names]
    manifest: dict = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), "post_gen_project.py", "exec"), manifest)
    return manifest


def _expected_files(package: str, task: str) -> set[str]:
    """Every template file of the task under its rendered name (for a task other than the default, the
    default's own files replaced by the task's overlay), the chosen LICENSE, and the shared folders."""
    hook = _hook_manifest()
    template = REPO / "{{cookiecutter.project_slug}}"

    def tree(root: Path) -> set[str]:
        return {
            p.relative_to(root).as_posix().replace("{{cookiecutter.package_name}}", package)
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    files = {f for f in tree(template) if f.split("/")[0] not in ("_licenses", hook["OVERLAYS"], hook["README_PARTS"])}
    for other, name in hook["TASK_PACKAGES"].items():
        if other != task:
            files = {f for f in files if not f.startswith(f"src/{package}/tasks/{name}/")}
    if task != hook["DEFAULT_TASK"]:
        files = {f for f in files if not any(f == p or f.startswith(f"{p}/") for p in hook["DEFAULT_TASK_ONLY"])}
        files |= tree(template / hook["OVERLAYS"] / task)
        files |= {f"schemas/{p.name}" for p in (REPO / "schemas" / "tasks" / task).glob("*.schema.json")}
    shared = {
        p.relative_to(REPO).as_posix()
        for d in hook["SHARED_DIRS"]
        for p in (REPO / d).rglob("*")
        if p.is_file() and "tasks" not in p.relative_to(REPO).parts
    }
    if task != hook["DEFAULT_TASK"]:  # the task's schemas replace the default task's
        shared = {f for f in shared if not f.endswith(".schema.json")}
    rules = {f"policies/{task}.yaml"} if (REPO / "policies" / "tasks" / f"{task}.yaml").is_file() else set()
    return files | shared | rules | {"LICENSE", ".cruft.json"}


@pytest.mark.parametrize(
    "options", _matrix(), ids=lambda o: f"{o['task']}-{o['license']}-{o['deployment_target']}-{o['gpu_type']}"
)
def test_matrix_bakes_valid_projects(tmp_path: Path, options: dict):
    project = bake(tmp_path, **options)
    package = next((project / "src").iterdir()).name
    assert _files(project) == _expected_files(package, options["task"])
    if options["task"] == "text-classification":
        assert _files(project) >= DEFAULT_FILES
    verbatim = _options()["_copy_without_render"]  # copied as they are (chat templates are Jinja, for one)
    rendered = [f for f in _files(project) if not any(fnmatch.fnmatch(f, pattern) for pattern in verbatim)]
    leftovers = [f for f in rendered if JINJA.search((project / f).read_text(errors="replace"))]
    assert leftovers == [], f"unrendered Jinja in {leftovers}"
    cli(project, "validate")
    assert yaml.safe_load((project / "specs" / "model.yaml").read_text())["task"] == options["task"]
    deployment = yaml.safe_load((project / "specs" / "deployment.yaml").read_text())
    assert deployment["target"] == options["deployment_target"]
    assert deployment["service"]["resources"]["gpu_type"] == options["gpu_type"]
    pyproject = (project / "pyproject.toml").read_text()
    assert f'requires-python = ">={options["python_version"]}"' in pyproject
    assert (project / ".python-version").read_text().strip() == options["python_version"]
    license_text = (project / "LICENSE").read_text()
    assert {"Apache-2.0": "Apache License", "MIT": "MIT License", "BSD-3-Clause": "BSD 3-Clause",
            "Proprietary": "All rights reserved"}[options["license"]] in license_text
    run_in(project, str(BIN / "ruff"), "check", ".")


def test_owner_lands_in_codeowners_and_registry(tmp_path: Path):
    project = bake(tmp_path, owner="Globex/ML-Team")
    codeowners = (project / ".github" / "CODEOWNERS").read_text()
    assert re.search(r"^\*\s+@Globex/ML-Team$", codeowners, re.M)
    assert re.search(r"^/specs/\s+@Globex/ML-Team$", codeowners, re.M)
    assert "image: ghcr.io/globex/ticket-router" in (project / "specs" / "deployment.yaml").read_text()


def test_pre_commit_config_is_valid(default_project: Path):
    run_in(default_project, str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml")


@pytest.mark.slow
def test_pre_commit_validate_hook_runs_in_its_own_environment(tmp_path: Path):
    """The spec hook installs what it needs (no tool assumed on PATH) and catches a bad spec.

    Only the project's local hooks run: the others are fetched from GitHub, out of reach here.
    """
    project = bake(tmp_path / "bake")
    env_home = tmp_path / "pre-commit-home"
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    local_only = tmp_path / "local-hooks.yaml"
    local_only.write_text(yaml.safe_dump({"repos": [r for r in config["repos"] if r["repo"] == "local"]}))
    for args in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(args, cwd=project, check=True)
    base = [str(BIN / "pre-commit"), "run", "--config", str(local_only), "validate-specs", "--all-files"]
    env = {"PRE_COMMIT_HOME": str(env_home), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(base, cwd=project, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text().replace("  seed: 42", "  sed: 42"))
    bad = subprocess.run(base, cwd=project, env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "training.sed: unknown field 'sed'; did you mean 'seed'?" in bad.stdout
