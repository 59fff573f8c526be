"""Fixtures for testing the template: bake it with cookiecutter, for real, into temp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def bake(out: Path, **options: str) -> Path:
    """Bake the template with ``options`` (the rest default) into ``out``; returns the project."""
    return Path(cookiecutter(str(REPO), no_input=True, output_dir=str(out), extra_context=options))


def run_in(project: Path, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command in a baked project with its ``src/`` importable, as CI would."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def cli(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the baked project's CLI (``python -m <package>``)."""
    package = next((project / "src").iterdir()).name
    return run_in(project, sys.executable, "-m", package, *args, check=check)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default bake, shared by tests that only read it."""
    return bake(tmp_path_factory.mktemp("default"))
