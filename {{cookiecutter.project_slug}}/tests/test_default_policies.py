"""Every rule of the default pack, with one passing and one failing policy input document each.

The passing document is built for real: a copy of this project committed to git, a run whose
lineage matches it, and production metrics slightly below the run's. Each failing document
changes one fact; only the rule under test may change its result. The drift rules (monitor stage)
get a monitor-stage document around a drift report whose every check holds (how drift computes
the checks is tested in test_drift.py).
"""

from __future__ import annotations

import copy
import shutil

import pytest

from {{ cookiecutter.package_name }}.governance.facts import build_facts
from {{ cookiecutter.package_name }}.governance.gate import judge, load_inputs, parse_now
from {{ cookiecutter.package_name }}.monitoring.facts import monitor_facts

from .conftest import ROOT
from .runfixtures import release, write_run

NOW = parse_now("2026-11-23T12:00:00Z")


def _set(path: str, value):
    def change(facts: dict) -> None:
        *parents, last = path.split(".")
        node = facts
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        node[last] = value

    return change


#: rule id -> a change of the passing facts that must make exactly that rule fail
FAILING = {
    "QUAL-001": _set("metrics.test.macro_f1", 0.84),
    "QUAL-002": _set("metrics.test.per_class.returns.f1", 0.62),
    "QUAL-003": _set("metrics.test.ece", 0.21),
    "REG-001": _set("deltas.primary.regression", 0.031),
    "GOLD-001": _set("metrics.golden.pass_rate", 0.975),
    "FAIR-001": _set("metrics.max_slice_gap", 0.22),
    "ROB-001": _set("metrics.max_robustness_drop", 0.26),
    "DATA-001": _set("data.pii.total", 2),
    "DATA-002": _set("data.duplicates.exact_across.count", 1),
    "DATA-003": _set("data.duplicates.near_across.count", 4),
    "DATA-004": _set("data.labels.unknown.count", 1),
    "DATA-005": _set("data.texts.empty.count", 3),
    "DATA-006": _set("data.texts.too_long.count", 1),
    "DATA-007": _set("data.labels.balance.train.min_share", 0.02),
    "LIC-001": _set("licenses.dataset.allowed", False),
    "LIC-002": _set("licenses.base_model", {"id": None, "allowed": False, "declared_in": "specs/model.yaml"}),
    "PIN-001": _set("specs.model.base", {"type": "huggingface", "id": "org/model", "revision": "main"}),
    "PIN-002": _set("specs.data.source", {"type": "huggingface", "id": "org/data", "revision": "v1.0"}),
    "RUN-001": _set("run.profile", "smoke"),
    "CARD-001": _set("card.missing", ["specs/model.yaml card.limitations: placeholder text"]),
    "OWN-001": _set("specs.model.card.owners", ["the ML team"]),
    "OWN-002": _set("specs.data.owner", "nobody"),
    "GPU-001": _set("budget.gpus.headroom", -2),
    "LIN-001": _set("lineage.mismatches", ["specs/model.yaml changed since the run was trained"]),
    "LIN-002": _set("run.dirty", True),
    "LIN-003": _set("git.dirty", True),
}


#: drift check -> the rule that reads it (monitor stage)
DRIFT_RULES = {
    "label_psi": "DRIFT-001",
    "confidence_psi": "DRIFT-002",
    "input_length_ks": "DRIFT-003",
    "unseen_token_rate_increase": "DRIFT-004",
    "prediction_volume": "DRIFT-005",
    "error_rate": "DRIFT-006",
    "unreadable_lines": "DRIFT-007",
    "output_length_ks": "DRIFT-008",
    "watcher_rate": "DRIFT-009",
}


def passing_drift() -> dict:
    """A drift report of a window whose every check holds."""
    numeric = {"reference_mean": 60.0, "window_mean": 61.0, "ks": 0.02, "p_value": 0.9}
    check = {"statistic": "s", "value": 0.01, "limit": 0.2, "exceeded": False}
    return {
        "apiVersion": "gated-ml/v1",
        "kind": "DriftReport",
        "generated_at": "2026-11-23T12:00:00Z",
        "logs": "monitoring/predictions",
        "since": "2026-11-16T12:00:00Z",
        "reference": {"source": "deploy/production/reference.json", "run_id": "20261123-090000-abcd"},
        "lines": {"files": 1, "total": 500, "outside_window": 0, "unreadable": 0, "unreadable_rate": 0.0,
                  "by_kind": {"empty": 0, "truncated": 0, "malformed": 0, "oversized": 0}, "located": []},
        "predictions": {"count": 500, "errors": 0, "error_rate": 0.0, "by_error": {}, "by_task": {}},
        "labels": {"reference": {"billing": 1.0}, "window": {"billing": 1.0}, "psi": 0.0},
        "confidence": {"bins": 1, "reference": [1.0], "window": [1.0], "reference_mean": 0.9, "window_mean": 0.9,
                       "psi": 0.0},
        "input_length": numeric,
        "unseen_tokens": {"reference_rate": 0.01, "window_rate": 0.01, "increase": 0.0},
        "output_length": numeric,
        "watcher": {"pii": 0.0, "profanity": 0.0, "refusal": 0.0},
        "checks": {name: dict(check) for name in DRIFT_RULES},
    }  # fmt: skip


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory):
    """(project, pack, facts) of a clean, committed copy of this project with a good run, at release."""
    root = tmp_path_factory.mktemp("clean")
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, root / name)
    release(root, 0.9, message="clean project")
    run_dir = write_run(root)
    project, pack = load_inputs(root)
    facts = build_facts(project, pack, run_dir, stage="release", now=NOW, baseline=None)
    return project, pack, facts


def _statuses(passing, facts: dict) -> dict[str, str]:
    project, pack, _ = passing
    return {r.id: r.status for r in judge(project, pack, facts, stage="release", now=NOW).results}


def test_every_default_rule_has_a_failing_case(passing):
    _, pack, _ = passing
    default = {e.rule.id for e in pack.rules if e.doc.path.name == "default.yaml"}
    assert default == set(FAILING) | set(DRIFT_RULES.values())


def _monitor_statuses(passing, drift: dict) -> dict[str, str]:
    project, pack, _ = passing
    facts = monitor_facts(project, pack, drift, now=NOW)
    return {r.id: r.status for r in judge(project, pack, facts, stage="monitor", now=NOW).results}


def test_the_monitor_stage_runs_the_drift_rules_and_a_stable_window_passes(passing):
    assert _monitor_statuses(passing, passing_drift()) == {rule: "pass" for rule in DRIFT_RULES.values()}


@pytest.mark.parametrize("check", sorted(DRIFT_RULES))
def test_drift_rule_fails_on_its_exceeded_check_alone(passing, check: str):
    drift = passing_drift()
    drift["checks"][check].update(value=0.5, exceeded=True)
    statuses = _monitor_statuses(passing, drift)
    assert statuses.pop(DRIFT_RULES[check]) == "fail"
    assert set(statuses.values()) == {"pass"}


def test_drift_checks_of_the_other_task_are_skipped_and_an_empty_window_fails(passing):
    drift = passing_drift()
    for name in ("output_length_ks", "watcher_rate"):
        del drift["checks"][name]
    drift["checks"]["prediction_volume"].update(value=0, exceeded=True)
    drift["checks"]["label_psi"].update(value=None, exceeded=None)
    statuses = _monitor_statuses(passing, drift)
    assert statuses["DRIFT-008"] == statuses["DRIFT-009"] == statuses["DRIFT-001"] == "skipped"
    assert statuses["DRIFT-005"] == "fail"


def test_the_passing_document_passes_every_rule(passing):
    assert _statuses(passing, passing[2]) == {rule: "pass" for rule in FAILING}


def test_the_sample_project_passes(passing):
    project, pack, _ = passing
    run_dir = project.root / "artifacts" / "latest"
    for stage in ("pr", "release"):
        facts = build_facts(project, pack, run_dir, stage=stage, now=NOW, baseline=None)
        report = judge(project, pack, facts, stage=stage, now=NOW)
        assert report.passed
        assert [(r.id, r.status) for r in report.results if r.status != "pass"] == []


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_rule_fails_on_its_failing_case_alone(passing, rule: str):
    facts = copy.deepcopy(passing[2])
    FAILING[rule](facts)
    statuses = _statuses(passing, facts)
    assert statuses.pop(rule) == "fail"
    assert set(statuses.values()) == {"pass"}, f"{rule}'s case also changed {statuses}"


def test_pr_stage_runs_the_pr_rules_only(passing):
    project, pack, facts = passing
    ids = {r.id for r in judge(project, pack, {**facts, "stage": "pr"}, stage="pr", now=NOW).results}
    assert ids == set(FAILING) - {"CARD-001", "LIN-002", "LIN-003", "RUN-001"}


def test_regression_is_skipped_without_production(passing):
    facts = copy.deepcopy(passing[2])
    facts["baseline"] = facts["deltas"] = None
    facts["unavailable"]["deltas"] = "no production baseline: deploy/production/metrics.json does not exist"
    project, pack, _ = passing
    result = next(r for r in judge(project, pack, facts, stage="release", now=NOW).results if r.id == "REG-001")
    assert (result.status, result.blocking) == ("skipped", False)
    assert "no production baseline" in result.message


def test_failure_messages_explain(passing):
    facts = copy.deepcopy(passing[2])
    FAILING["GPU-001"](facts)
    FAILING["QUAL-001"](facts)
    project, pack, _ = passing
    results = {r.id: r for r in judge(project, pack, facts, stage="release", now=NOW).results}
    assert results["QUAL-001"].message == "macro-F1 on the test split is 0.84; the floor is 0.85"
    assert results["GPU-001"].message.startswith("the deployment may hold 8 GPUs (1 per replica")
    assert results["QUAL-001"].location.path == "specs/evaluation.yaml"
