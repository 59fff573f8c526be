"""Shared fixtures: a scratch copy of this project that a test may change freely, and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"

#: libraries that commands other than train, evaluate and serving must never import
HEAVY = ("torch", "transformers", "bentoml", "sklearn")


def heavy_imports(*args: str) -> list[str]:
    """The ``HEAVY`` modules loaded by running the CLI with ``args`` in a fresh interpreter (which must exit 0)."""
    code = (
        f"import json, sys; from {PACKAGE}.cli import main; rc = main({list(args)!r}); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules])); raise SystemExit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "src", check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_project(dest: Path) -> Path:
    """Copy this project's specs, schemas, policies, data and examples (where it has them) into ``dest``."""
    for name in ("specs", "schemas", "policies", "data", "examples"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    return dest


# BentoML reads BENTOML_HOME when it is first imported: keep the tests' model and bento stores
# in a temporary directory, never in the user's ~/bentoml.
BENTOML_HOME = tempfile.mkdtemp(prefix="bentoml-home-")
os.environ["BENTOML_HOME"] = BENTOML_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(BENTOML_HOME, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this project's specs, schemas, policies, data and examples in a temporary directory."""
    return copy_project(tmp_path)


def run_cli(project: Path, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m <package> --project <project> <args>`` in a child process; never raises on failure."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, "--project", str(project), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


#: what ``train`` printed for a run fixture, by run id (for tests of the training output)
TRAIN_OUTPUT: dict[str, subprocess.CompletedProcess] = {}


def _trained(project: Path, *train_args: str, run_id: str) -> Path:
    done = run_cli(project, "train", *train_args, "--run-id", run_id)
    assert done.returncode == 0, done.stdout + done.stderr
    TRAIN_OUTPUT[run_id] = done
    return project


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with one complete run (smoke profile, run id ``smoke``), trained and evaluated."""
    project = _trained(copy_project(tmp_path_factory.mktemp("smoke")), "--profile", "smoke", run_id="smoke")
    done = run_cli(project, "evaluate")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with the run ``train`` makes with no options (run id ``default``), not evaluated."""
    return _trained(copy_project(tmp_path_factory.mktemp("default")), run_id="default")
