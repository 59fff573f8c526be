"""Each task's baked project passes its own test suite (its slow tier trains, evaluates and serves).

Inner tests run verbosely: a failure names each failed inner test with its output, and the ten
slowest inner tests are printed (``pytest -s`` on this file shows them).
"""

from __future__ import annotations

import json

import pytest

from .conftest import TASK_BAKES, pr_rehearsal_group, run_baked_tests


def rehearses_the_pr_workflow(session: pytest.Session, task: str) -> bool:
    """True when this session rehearses ``task``'s pr.yml, whose first job runs the baked fast tier."""
    return any(
        "pr_rehearsal" in item.fixturenames and item.callspec.params.get("task") == task
        for item in session.items
        if hasattr(item, "callspec")
    )


@pytest.mark.parametrize("task", [pytest.param(task, marks=pr_rehearsal_group(task)) for task in TASK_BAKES])
def test_fast_tier(request, task_bake, task):
    """``pytest -m "not slow"`` of the task's bake passes: read from the PR rehearsal's unit-test step when
    this session rehearses (the same command on the same bake), run here otherwise (``make test-fast``)
    or when an earlier step of that job failed (which the PR rehearsal's test reports)."""
    step = None
    if rehearses_the_pr_workflow(request.session, task):
        code, out = request.getfixturevalue("pr_rehearsal")(task)
        checks = json.loads((out / "rehearsal.json").read_text())["jobs"]["checks"]
        (step,) = [step for step in checks["steps"] if step["name"] == "Unit tests"]
    if step is None or step["status"] == "skipped":
        print(run_baked_tests(task_bake(task), "-m", "not slow"))
        return
    log = next((out / "logs" / "checks").glob("*-unit-tests.log")).read_text()
    print(log)
    failed = [line for line in log.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    assert step["status"] == "success", f"baked tests failed: {'; '.join(failed)}\n{log}"


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASK_BAKES))
def test_slow_tier(task_bake, task):
    print(run_baked_tests(task_bake(task), "-m", "slow"))
