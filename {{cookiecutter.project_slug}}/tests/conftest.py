"""Shared fixtures: a scratch copy of this project that a test may change freely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this project's specs, schemas, policies and data in a temporary directory."""
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path
