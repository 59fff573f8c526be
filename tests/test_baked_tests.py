"""The baked project's own test suite passes in the default bake (its slow tier trains and evaluates)."""

from __future__ import annotations

import sys

import pytest

from .conftest import run_in


def test_fast_tier(default_project):
    run_in(default_project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow")


@pytest.mark.slow
def test_slow_tier(default_project):
    run_in(default_project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow")
