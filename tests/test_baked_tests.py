"""The baked project's own test suite passes in the default bake (its slow tier trains and evaluates).

Inner tests run verbosely: a failure names each failed inner test with its output, and the ten
slowest inner tests are printed (``pytest -s`` on this file shows them).
"""

from __future__ import annotations

import pytest

from .conftest import run_baked_tests


def test_fast_tier(default_project):
    print(run_baked_tests(default_project, "-m", "not slow"))


@pytest.mark.slow
def test_slow_tier(default_project):
    print(run_baked_tests(default_project, "-m", "slow"))
