"""Shared fixtures: a scratch copy of this project that a test may change freely."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# BentoML reads BENTOML_HOME when it is first imported: keep the tests' model and bento stores
# in a temporary directory, never in the user's ~/bentoml.
BENTOML_HOME = tempfile.mkdtemp(prefix="bentoml-home-")
os.environ["BENTOML_HOME"] = BENTOML_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(BENTOML_HOME, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this project's specs, schemas, policies and data in a temporary directory."""
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path
