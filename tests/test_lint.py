"""The template's own code is lint-clean."""

from __future__ import annotations

import subprocess

from .conftest import BIN, REPO


def test_template_code_is_ruff_clean():
    template_package = REPO / "{{cookiecutter.project_slug}}" / "src"
    isolated = ["--isolated", "--line-length", "120", "--select", "E,F,W,I,B,UP,SIM", str(template_package)]
    for target in (["tests", "scripts", "hooks", "local_extensions.py"], isolated):
        result = subprocess.run([str(BIN / "ruff"), "check", *target], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
