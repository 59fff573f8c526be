"""Generated docs have one source, and the README's promises hold."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def test_options_table_matches_cookiecutter_json():
    result = subprocess.run([sys.executable, "scripts/options_table.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()
