"""Generated docs have one source, and the README's promises hold."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from .conftest import REPO, quickstart_block


def test_options_table_matches_cookiecutter_json():
    result = subprocess.run([sys.executable, "scripts/options_table.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()


def _commands(block: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_template_readme_shows_the_baked_quickstart():
    """The bake section of this README types the same lines as the baked README's quickstart."""
    readme = (REPO / "README.md").read_text()
    ours = re.search(r"A successful bake prints the next steps.*?```bash\n(.*?)```", readme, re.S)
    baked = quickstart_block(REPO / "{{cookiecutter.project_slug}}" / "README.md").replace(
        "{{ cookiecutter.project_slug }}", "ticket-router"
    )
    assert ours and _commands(ours.group(1)) == _commands(baked)[: len(_commands(ours.group(1)))]


@pytest.mark.slow
def test_the_baked_readme_quickstart_runs_as_written(quickstart_project):
    project, result = quickstart_project
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / ".git" / "hooks" / "pre-commit").is_file(), "pre-commit install ran in a git repository"
    assert (project / ".venv" / "bin" / project.name).is_file(), "make install put the CLI into .venv"
    gate = json.loads((project / "artifacts" / "latest" / "gate.json").read_text())
    assert gate["stage"] == "pr" and gate["passed"], gate["summary"]
