"""The baked project's own test suite passes in the default bake (its slow tier trains and evaluates).

Inner tests run verbosely: a failure names each failed inner test with its output, and the ten
slowest inner tests are printed (``pytest -s`` on this file shows them).
"""

from __future__ import annotations

import json

import pytest

from .conftest import run_baked_tests


def rehearses_the_pr_workflow(session: pytest.Session) -> bool:
    """True when this session rehearses pr.yml, whose first job runs the baked fast tier."""
    return any("pr_rehearsal" in getattr(item, "fixturenames", ()) for item in session.items)


@pytest.mark.xdist_group("pr-rehearsal")
def test_fast_tier(request, default_project):
    """``pytest -m "not slow"`` of the default bake passes: read from the PR rehearsal's unit-test step when
    this session rehearses (the same command on the same bake), run here otherwise (``make test-fast``)."""
    if not rehearses_the_pr_workflow(request.session):
        print(run_baked_tests(default_project, "-m", "not slow"))
        return
    code, out = request.getfixturevalue("pr_rehearsal")
    checks = json.loads((out / "rehearsal.json").read_text())["jobs"]["checks"]
    (step,) = [step for step in checks["steps"] if step["name"] == "Unit tests"]
    assert step["status"] != "skipped", f"the unit tests did not run: {checks}"
    log = next((out / "logs" / "checks").glob("*-unit-tests.log")).read_text()
    print(log)
    failed = [line for line in log.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    assert step["status"] == "success", f"baked tests failed: {'; '.join(failed)}\n{log}"


@pytest.mark.slow
def test_slow_tier(default_project):
    print(run_baked_tests(default_project, "-m", "slow"))
